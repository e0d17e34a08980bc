import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IDENTITY_KINDS, type IdentityKind } from '@cc/shared';

export class FindCustomersQuery {
  @ApiProperty({ example: 'jane@example.com' }) @IsEmail() email: string;
}

export class PageQuery {
  @ApiPropertyOptional({ default: 1, minimum: 1 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) page = 1;
  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) pageSize = 20;
}

export class UpdateCustomerDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ example: 'vip' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(40) tier?: string;
  @ApiPropertyOptional({ example: { spice: 'hot', language: 'fr' } }) @IsOptional() @IsObject() preferences?: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(4000) notes?: string;
}

export class AddIdentityDto {
  @ApiProperty({ enum: IDENTITY_KINDS }) @IsIn(IDENTITY_KINDS) kind: IdentityKind;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(254) value: string;
}
