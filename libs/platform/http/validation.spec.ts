import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { DomainError, ErrorCode } from '@cc/shared';
import { AgentMessageDto, SetPresenceDto, WrapUpDto } from '../../../apps/api/src/agent-desk/agent-desk.dto';
import { parsePayload } from './validation';

class LimitsDto {
  @IsInt() @Min(0) @Max(10) chat: number;
}

class ProfileDto {
  @IsString() @MinLength(2) name: string;
  @IsOptional() @ValidateNested() @Type(() => LimitsDto) limits?: LimitsDto;
}

/** The error parsePayload throws, or a failure if it throws none. */
function refusal(cls: new () => object, payload: unknown): DomainError {
  try {
    parsePayload(cls, payload);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error(`parsePayload accepted ${JSON.stringify(payload)}`);
}

type Detail = { field: string; problems: string[] };

describe('parsePayload', () => {
  it.each([[null], [undefined], ['a string'], [42], [true], [[{ name: 'Jo' }]]])('refuses %p: the payload must be an object', (payload) => {
    const e = refusal(ProfileDto, payload);
    expect(e.code).toBe(ErrorCode.ValidationFailed);
    expect(e.message).toMatch(/object/);
  });

  it('refuses unknown fields and names them', () => {
    const e = refusal(ProfileDto, { name: 'Jo', role: 'admin', sneaky: true });
    expect(e.code).toBe(ErrorCode.ValidationFailed);
    expect(e.message).toMatch(/\brole\b/);
    expect(e.message).toMatch(/\bsneaky\b/);
    expect((e.details as Detail[]).map((d) => d.field).sort()).toEqual(['role', 'sneaky']);
  });

  it('explains each bad field, nested ones by their path', () => {
    const e = refusal(ProfileDto, { name: 'J', limits: { chat: 11 } });
    expect(e.code).toBe(ErrorCode.ValidationFailed);
    const details = e.details as Detail[];
    expect(details.map((d) => d.field).sort()).toEqual(['limits.chat', 'name']);
    for (const d of details) expect(d.problems.length).toBeGreaterThan(0);
    expect(e.message).toMatch(/\bname\b/);
    expect(e.message).toMatch(/limits\.chat/);
    // a missing required field is explained too
    expect((refusal(ProfileDto, {}).details as Detail[]).map((d) => d.field)).toEqual(['name']);
  });

  it('explains the agent desk payloads field by field', () => {
    const wrap = refusal(WrapUpDto, { contactId: 'not-a-uuid', disposition: '' });
    expect((wrap.details as Detail[]).map((d) => d.field).sort()).toEqual(['contactId', 'disposition']);
    expect(wrap.message).toMatch(/contactId/);
    expect(wrap.message).toMatch(/disposition/);

    const message = refusal(AgentMessageDto, { contactId: '0b7d7f0e-2f7a-4c59-8d3c-6b3f1a9e4c11', clientMessageId: 'has spaces', text: 'x'.repeat(4001) });
    expect((message.details as Detail[]).map((d) => d.field).sort()).toEqual(['clientMessageId', 'text']);

    expect(refusal(SetPresenceDto, { state: 'sleeping' }).message).toMatch(/\bstate\b/);
    expect(refusal(SetPresenceDto, { state: 'away', reason: '' }).message).toMatch(/\breason\b/);
  });

  it('accepts a good payload and gives back an instance of the class with its values', () => {
    const profile = parsePayload(ProfileDto, { name: 'Jo', limits: { chat: 3 } });
    expect(profile).toBeInstanceOf(ProfileDto);
    expect(profile.limits).toBeInstanceOf(LimitsDto);
    expect(profile).toEqual({ name: 'Jo', limits: { chat: 3 } });

    const wrap = parsePayload(WrapUpDto, { contactId: '0b7d7f0e-2f7a-4c59-8d3c-6b3f1a9e4c11', disposition: 'resolved' });
    expect(wrap).toBeInstanceOf(WrapUpDto);
    expect(wrap).toEqual({ contactId: '0b7d7f0e-2f7a-4c59-8d3c-6b3f1a9e4c11', disposition: 'resolved' });
    expect(parsePayload(SetPresenceDto, { state: 'away', reason: 'lunch' })).toEqual({ state: 'away', reason: 'lunch' });
  });

  it('does not convert types behind the caller’s back', () => {
    // a socket payload is JSON: "3" is a string, not the number 3
    expect((refusal(ProfileDto, { name: 'Jo', limits: { chat: '3' } }).details as Detail[]).map((d) => d.field)).toEqual(['limits.chat']);
  });
});
