import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
  registerDecorator,
} from 'class-validator';
import { CHANNELS, type Channel } from '@cc/shared';

/** A property that must be an object mapping names (letters, digits, _ or -) to numbers that pass `value`. */
function IsNameMap(name: string, value: (n: unknown) => boolean, message: string): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (v: unknown) =>
          typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, n]) => /^[a-z0-9_-]{1,40}$/i.test(k) && value(n)),
        defaultMessage: () => message,
      },
    });
}

/** A map of skill name → level 1..5. */
const IsSkillMap = () =>
  IsNameMap('isSkillMap', (n) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 5, 'must map skill names (letters, digits, _ or -) to levels 1 to 5');

/** A map of tier name → priority points. */
const IsTierPoints = () =>
  IsNameMap('isTierPoints', (n) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= 1000, 'must map tier names to points between -1000 and 1000');

export class CapacityDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 10 }) @IsOptional() @IsInt() @Min(0) @Max(10) voice?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 50 }) @IsOptional() @IsInt() @Min(0) @Max(50) chat?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 50 }) @IsOptional() @IsInt() @Min(0) @Max(50) sms?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 100 }) @IsOptional() @IsInt() @Min(0) @Max(100) email?: number;
}

export class PriorityChannelsDto {
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-1000) @Max(1000) voice?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-1000) @Max(1000) chat?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-1000) @Max(1000) sms?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(-1000) @Max(1000) email?: number;
}

export class PriorityPolicyDto {
  @ApiPropertyOptional({ example: { vip: 100, gold: 50 }, description: 'points by customer tier' }) @IsOptional() @IsTierPoints() tiers?: Record<string, number>;
  @ApiPropertyOptional({ type: PriorityChannelsDto, description: 'points by channel' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PriorityChannelsDto)
  channels?: PriorityChannelsDto;
  @ApiPropertyOptional({ example: 1, description: 'points gained per minute of waiting' }) @IsOptional() @IsNumber() @Min(0) @Max(1000) agingPerMinute?: number;
}

export class RoutingStepDto {
  @ApiProperty({ example: 30, description: 'seconds in the queue after which this step applies' }) @IsInt() @Min(1) @Max(86400) afterSeconds: number;
  @ApiPropertyOptional({ example: { billing: 2 }, description: 'replaces these minimum skill levels' }) @IsOptional() @IsSkillMap() requiredSkills?: Record<string, number>;
  @ApiPropertyOptional({ type: [String], description: 'agents of these queues may take the contact too' })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsUUID('all', { each: true })
  addQueueIds?: string[];
  @ApiPropertyOptional({ enum: ['overflow', 'after_hours'] }) @IsOptional() @IsIn(['overflow', 'after_hours']) action?: 'overflow' | 'after_hours';
}

/** Steps must come in increasing afterSeconds. */
function IncreasingSteps(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'increasingSteps',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (v: unknown) => Array.isArray(v) && v.every((s, i) => i === 0 || s?.afterSeconds > v[i - 1]?.afterSeconds),
        defaultMessage: () => 'steps must be in increasing afterSeconds',
      },
    });
}

export class CreateAgentDto {
  @ApiProperty() @IsEmail() @MaxLength(254) email: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(120) name: string;
  @ApiProperty({ minLength: 8 }) @IsString() @MinLength(8) @MaxLength(200) password: string;
  @ApiPropertyOptional({ example: { english: 5, billing: 3 } }) @IsOptional() @IsSkillMap() skills?: Record<string, number>;
  @ApiPropertyOptional({ type: CapacityDto, description: 'defaults: voice 1, chat 3, sms 3, email 5' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CapacityDto)
  capacity?: CapacityDto;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayUnique() @IsUUID('all', { each: true }) queueIds?: string[];
  @ApiPropertyOptional({ default: true, description: 'an active voice call blocks offers on other channels' })
  @IsOptional()
  @IsBoolean()
  voiceBlocksOtherChannels?: boolean;
}

export class UpdateAgentDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(8) @MaxLength(200) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsSkillMap() skills?: Record<string, number>;
  @ApiPropertyOptional({ type: CapacityDto }) @IsOptional() @ValidateNested() @Type(() => CapacityDto) capacity?: CapacityDto;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayUnique() @IsUUID('all', { each: true }) queueIds?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() voiceBlocksOtherChannels?: boolean;
  @ApiPropertyOptional({ nullable: true, example: 'client:alice', description: 'where calls ring: client:<identity>, +E.164, or sip:user@host' })
  @IsOptional()
  @Matches(/^(client:[A-Za-z0-9_.-]{1,121}|\+[1-9]\d{6,14}|sip:[^@\s]+@[^@\s]+)$/, { message: 'voiceEndpoint must be client:<identity>, a +E.164 number or sip:user@host' })
  voiceEndpoint?: string | null;
}

export class AfterHoursRuleDto {
  @ApiProperty({ enum: ['wait', 'overflow'] }) @IsIn(['wait', 'overflow']) action: 'wait' | 'overflow';
  @ApiPropertyOptional({ description: 'with overflow: the queue to move to when it is open now (follow-the-sun)' })
  @ValidateIf((r: AfterHoursRuleDto) => r.action === 'overflow')
  @IsUUID()
  overflowQueueId?: string;
}

/** For calls, two more: ask for a voicemail, or keep the caller's place and call them back. */
export class VoiceAfterHoursRuleDto {
  @ApiProperty({ enum: ['wait', 'overflow', 'voicemail', 'callback'] })
  @IsIn(['wait', 'overflow', 'voicemail', 'callback'])
  action: 'wait' | 'overflow' | 'voicemail' | 'callback';
  @ApiPropertyOptional({ description: 'with overflow: the queue to move to when it is open now' })
  @ValidateIf((r: VoiceAfterHoursRuleDto) => r.action === 'overflow')
  @IsUUID()
  overflowQueueId?: string;
}

/** Per channel: what a contact arriving while the queue is closed does after the automatic reply (default: wait). */
export class AfterHoursPolicyDto {
  @ApiPropertyOptional({ type: AfterHoursRuleDto }) @IsOptional() @ValidateNested() @Type(() => AfterHoursRuleDto) chat?: AfterHoursRuleDto;
  @ApiPropertyOptional({ type: AfterHoursRuleDto }) @IsOptional() @ValidateNested() @Type(() => AfterHoursRuleDto) sms?: AfterHoursRuleDto;
  @ApiPropertyOptional({ type: AfterHoursRuleDto }) @IsOptional() @ValidateNested() @Type(() => AfterHoursRuleDto) email?: AfterHoursRuleDto;
  @ApiPropertyOptional({ type: () => VoiceAfterHoursRuleDto }) @IsOptional() @ValidateNested() @Type(() => VoiceAfterHoursRuleDto) voice?: VoiceAfterHoursRuleDto;
}

export class CreateQueueDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(80) name: string;
  @ApiPropertyOptional({ enum: CHANNELS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(CHANNELS, { each: true })
  channels?: Channel[];
  @ApiPropertyOptional({ example: { english: 3 }, description: 'skill → minimum level' }) @IsOptional() @IsSkillMap() requiredSkills?: Record<string, number>;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayUnique() @IsUUID('all', { each: true }) agentIds?: string[];
  @ApiPropertyOptional({ type: PriorityPolicyDto }) @IsOptional() @ValidateNested() @Type(() => PriorityPolicyDto) priorityPolicy?: PriorityPolicyDto;
  @ApiPropertyOptional({ default: 20, description: 'answered within this many seconds counts towards the service level' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  serviceLevelSeconds?: number;
  @ApiPropertyOptional({ description: 'past this wait, move to the overflow queue', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 86400)
  maxWaitSeconds?: number | null;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsUUID() overflowQueueId?: string | null;
  @ApiPropertyOptional({ type: [RoutingStepDto] })
  @IsOptional()
  @IsArray()
  @IncreasingSteps()
  @ValidateNested({ each: true })
  @Type(() => RoutingStepDto)
  steps?: RoutingStepDto[];
  @ApiPropertyOptional({ default: 20, description: "seconds a returning customer waits for their last agent first" })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600)
  stickySeconds?: number;
  @ApiPropertyOptional({ nullable: true, example: 'We are closed now and back {opening}. Leave your message and we will answer then.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  afterHoursMessage?: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'business-hours calendar; null: always open' }) @IsOptional() @IsUUID() calendarId?: string | null;
  @ApiPropertyOptional({ type: AfterHoursPolicyDto }) @IsOptional() @ValidateNested() @Type(() => AfterHoursPolicyDto) afterHours?: AfterHoursPolicyDto;
  @ApiPropertyOptional({ default: false, description: 'the service-level clock stops while the queue is closed' })
  @IsOptional()
  @IsBoolean()
  serviceLevelPausesWhenClosed?: boolean;
  @ApiPropertyOptional({ default: false, description: 'record the calls answered in this queue' }) @IsOptional() @IsBoolean() recordCalls?: boolean;
}

export class UpdateQueueDto extends PartialType(CreateQueueDto) {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}
