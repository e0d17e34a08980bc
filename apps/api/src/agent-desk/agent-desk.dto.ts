import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PRESENCES, type Presence } from '@cc/shared';

/** A client's own id for a message: what makes a retried send idempotent. */
export const CLIENT_MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_MESSAGE_LENGTH = 4000;

export class SetPresenceDto {
  @IsIn(PRESENCES) state: Presence;
  @ValidateIf((o: SetPresenceDto) => o.reason !== undefined) @IsString() @MinLength(1) @MaxLength(80) reason?: string;
}

export class OfferCommandDto {
  @IsUUID() offerId: string;
}

export class RejectOfferDto extends OfferCommandDto {
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) reason?: string;
}

export class ContactCommandDto {
  @IsUUID() contactId: string;
}

export class AgentMessageDto extends ContactCommandDto {
  @Matches(CLIENT_MESSAGE_ID, { message: 'clientMessageId must be 1-64 letters, digits, _ or -' }) clientMessageId: string;
  @IsString() @MinLength(1) @MaxLength(MAX_MESSAGE_LENGTH) text: string;
}

export class AgentTypingDto extends ContactCommandDto {
  @IsBoolean() isTyping: boolean;
}

export class TransferDto extends ContactCommandDto {
  @IsIn(['cold', 'warm']) mode: 'cold' | 'warm';
  @IsOptional() @IsUUID() toQueueId?: string;
  @IsOptional() @IsUUID() toAgentId?: string;
}

export class WrapUpDto extends ContactCommandDto {
  @IsString() @MinLength(1) @MaxLength(80) disposition: string;
  @IsOptional() @IsString() @MaxLength(4000) note?: string;
}

export class HoldDto extends ContactCommandDto {
  @IsBoolean() hold: boolean;
}
