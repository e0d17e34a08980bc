import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsDateString, IsDefined, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PRESENCES, type Presence } from '@cc/shared';

export class SetAgentStateDto {
  @IsUUID() agentId: string;
  @IsIn(PRESENCES) presence: Presence;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(80) reason?: string;
}

export class SupervisedContactDto {
  @IsUUID() contactId: string;
}

export class ReassignDto {
  @IsUUID() contactId: string;
  @IsUUID() agentId: string;
}

export class SupervisorMessageDto {
  @IsUUID() contactId: string;
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'clientMessageId must be 1-64 letters, digits, _ or -' }) clientMessageId: string;
  @IsString() @MinLength(1) @MaxLength(4000) text: string;
}

/** a moment without an offset would be read in the server's zone, which nobody asking can know */
const WITH_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/;

export class ReportQueryDto {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'ISO 8601 with its offset (Z or ±hh:mm)' })
  @IsDateString()
  @Matches(WITH_OFFSET, { message: 'from must carry its UTC offset (Z or ±hh:mm)' })
  from: string;
  @ApiProperty({ example: '2026-11-02T00:00:00Z', description: 'ISO 8601 with its offset (Z or ±hh:mm)' })
  @IsDateString()
  @Matches(WITH_OFFSET, { message: 'to must carry its UTC offset (Z or ±hh:mm)' })
  to: string;
  @ApiPropertyOptional({ enum: ['15m', '1h', '1d'], default: '1h' }) @IsOptional() @IsIn(['15m', '1h', '1d']) interval?: '15m' | '1h' | '1d';
  @ApiPropertyOptional({ example: 'Europe/London', description: 'IANA zone the intervals follow; default DEFAULT_TIME_ZONE' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' }) @IsOptional() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
  @ApiPropertyOptional({ default: 24, description: 'hours within which a repeat contact by the same customer means not resolved first time' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 90)
  fcrWindowHours?: number;
}

export class CreateCalendarDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(80) name: string;
  @ApiProperty({
    description: 'timeZone, weekly spans (split shifts, overnight), holidays and overrides; see the README',
    example: { timeZone: 'Europe/London', weekly: [{ day: 'mon', open: '09:00', close: '17:00' }], holidays: [], overrides: [] },
  })
  // validated as a whole by the calendar's own schema, which names each bad field
  @IsDefined()
  definition: unknown;
}

export class UpdateCalendarDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(80) name?: string;
  @ApiPropertyOptional() @IsOptional() @Allow() definition?: unknown;
}
