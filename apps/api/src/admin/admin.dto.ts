import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
  registerDecorator,
} from 'class-validator';
import { CHANNELS, type Channel } from '@cc/shared';

/** A map of skill name → level 1..5. */
function IsSkillMap(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isSkillMap',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (v: unknown) =>
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          Object.entries(v).every(([k, n]) => /^[a-z0-9_-]{1,40}$/i.test(k) && Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 5),
        defaultMessage: () => 'must map skill names (letters, digits, _ or -) to levels 1 to 5',
      },
    });
}

export class CapacityDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 10 }) @IsOptional() @IsInt() @Min(0) @Max(10) voice?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 50 }) @IsOptional() @IsInt() @Min(0) @Max(50) chat?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 50 }) @IsOptional() @IsInt() @Min(0) @Max(50) sms?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 100 }) @IsOptional() @IsInt() @Min(0) @Max(100) email?: number;
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
}

export class UpdateAgentDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(8) @MaxLength(200) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsSkillMap() skills?: Record<string, number>;
  @ApiPropertyOptional({ type: CapacityDto }) @IsOptional() @ValidateNested() @Type(() => CapacityDto) capacity?: CapacityDto;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayUnique() @IsUUID('all', { each: true }) queueIds?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
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
}

export class UpdateQueueDto extends PartialType(CreateQueueDto) {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}
