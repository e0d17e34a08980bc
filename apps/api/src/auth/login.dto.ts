import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'alice@demo.local' }) @IsEmail() @MaxLength(254) email: string;
  @ApiProperty({ example: 'agent-demo' }) @IsString() @MinLength(1) @MaxLength(200) password: string;
}

export class AccessTokenDto {
  @ApiProperty() accessToken: string;
  @ApiProperty({ enum: ['admin', 'supervisor', 'agent'] }) role: string;
  @ApiProperty() userId: string;
  @ApiProperty() expiresIn: number;
}
