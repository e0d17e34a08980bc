import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CLIENT_MESSAGE_ID, MAX_MESSAGE_LENGTH } from '../agent-desk/agent-desk.dto';

export class StartSessionDto {
  @ApiPropertyOptional({ description: 'a visitor token from an earlier session, to resume as the same visitor' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  visitorToken?: string;
}

export class SessionDto {
  @ApiProperty() visitorToken: string;
  @ApiProperty() visitorId: string;
}

export class VisitorMessageDto {
  @Matches(CLIENT_MESSAGE_ID, { message: 'clientMessageId must be 1-64 letters, digits, _ or -' }) clientMessageId: string;
  @IsString() @MinLength(1) @MaxLength(MAX_MESSAGE_LENGTH) text: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(80) queue?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(120) name?: string;
  @IsOptional() @IsEmail() @MaxLength(254) email?: string;
}

export class VisitorTypingDto {
  @IsBoolean() isTyping: boolean;
}

export class RateConversationDto {
  @IsUUID() contactId: string;
  @IsInt() @Min(1) @Max(5) score: number;
  @IsOptional() @IsString() @MaxLength(1000) comment?: string;
}
