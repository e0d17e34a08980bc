import { DomainError, ErrorCode } from '@cc/shared';
import { CalendarDefinitionError, dayNumberOfDate, minutesOfTime, parseCalendarDefinition } from './calendar-definition';

const valid = () => ({
  timeZone: 'Europe/London',
  weekly: [
    { day: 'mon', open: '09:00', close: '17:00' },
    { day: 'fri', open: '22:00', close: '06:00' },
    { day: 'sat', open: '00:00', close: '24:00' },
  ],
  holidays: [{ date: '2026-12-25', name: 'Christmas Day' }],
  overrides: [
    { date: '2026-12-24', spans: [{ open: '09:00', close: '13:00' }], note: 'half day' },
    { date: '2026-12-31', closed: true },
  ],
});

/** the error thrown for `input`, failing the test when nothing is thrown */
function errorOf(input: unknown): CalendarDefinitionError {
  try {
    parseCalendarDefinition(input);
  } catch (e) {
    if (e instanceof CalendarDefinitionError) return e;
    throw e;
  }
  throw new Error('expected parseCalendarDefinition to throw');
}

describe('parseCalendarDefinition', () => {
  it('accepts a valid definition and drops unknown keys', () => {
    const parsed = parseCalendarDefinition({ ...valid(), colour: 'blue' });
    expect(parsed).toEqual(valid());
    expect(parsed).not.toHaveProperty('colour');
  });

  it('refuses an unknown time zone', () => {
    const e = errorOf({ ...valid(), timeZone: 'Mars/Olympus' });
    expect(e.message).toContain('timeZone: unknown IANA time zone "Mars/Olympus"');
    expect(e.problems).toEqual([{ field: 'timeZone', problems: ['unknown IANA time zone "Mars/Olympus"'] }]);
  });

  it.each([
    ['9:00', 'open'],
    ['24:00', 'open'],
    ['12:60', 'open'],
    ['24:30', 'close'],
    ['25:00', 'close'],
    ['09:00:00', 'close'],
  ])('refuses the time %s as %s, naming the field', (time, end) => {
    const input = valid();
    input.weekly[0] = { ...input.weekly[0], [end]: time };
    expect(errorOf(input).message).toContain(`weekly[0].${end}: must be a time HH:MM`);
  });

  it('refuses a bad time inside an override', () => {
    const input = valid();
    input.overrides[0].spans = [{ open: '10:00', close: '1400' }];
    expect(errorOf(input).message).toContain('overrides[0].spans[0].close: must be a time HH:MM');
  });

  it.each(['2026-02-30', '2026-1-05', '26-01-05', '2026-13-01', ''])('refuses the date %j', (date) => {
    const holiday = valid();
    holiday.holidays[0].date = date;
    expect(errorOf(holiday).message).toContain('holidays[0].date: must be a real date YYYY-MM-DD');
    const override = valid();
    override.overrides[1].date = date;
    expect(errorOf(override).message).toContain('overrides[1].date: must be a real date YYYY-MM-DD');
  });

  it('refuses open === close, weekly and in overrides', () => {
    const weekly = valid();
    weekly.weekly[1] = { day: 'fri', open: '00:00', close: '00:00' };
    expect(errorOf(weekly).message).toContain('weekly[1].close: must differ from open');
    const override = valid();
    override.overrides[0].spans = [{ open: '10:00', close: '10:00' }];
    expect(errorOf(override).message).toContain('overrides[0].spans[0].close: must differ from open');
  });

  it('refuses an override both closed and with spans, or with neither', () => {
    const both = valid();
    both.overrides[1] = { date: '2026-12-31', closed: true, spans: [{ open: '09:00', close: '12:00' }] } as never;
    expect(errorOf(both).message).toContain('overrides[1].spans: give either closed: true or spans, not both');
    const neither = valid();
    neither.overrides[1] = { date: '2026-12-31', note: 'nothing' } as never;
    expect(errorOf(neither).message).toContain('overrides[1].closed: must be closed: true or give spans');
  });

  it('refuses duplicate override dates', () => {
    const input = valid();
    input.overrides.push({ date: '2026-12-24', closed: true });
    expect(errorOf(input).message).toContain('overrides[2].date: duplicate override date 2026-12-24 (also overrides[0])');
  });

  it('refuses an unknown weekday and wrong types', () => {
    const input = valid();
    input.weekly[0] = { ...input.weekly[0], day: 'monday' };
    const e = errorOf({ ...input, holidays: 'none' });
    expect(e.message).toContain('weekly[0].day');
    expect(e.message).toContain('holidays');
    expect(errorOf(null).message).toContain('calendar:');
  });

  it('names every bad field at once', () => {
    const input = valid();
    input.timeZone = 'Europe/Londinium';
    input.weekly[0].open = '9';
    input.holidays[0].date = '2026-02-29';
    const fields = errorOf(input).problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['timeZone', 'weekly[0].open', 'holidays[0].date']));
  });

  it('is a validation_failed DomainError with the problems as details', () => {
    const e = errorOf({ ...valid(), timeZone: 'Nowhere' });
    expect(e).toBeInstanceOf(DomainError);
    expect(e.code).toBe(ErrorCode.ValidationFailed);
    expect(e.details).toEqual(e.problems);
    expect(e.name).toBe('CalendarDefinitionError');
  });
});

describe('minutesOfTime and dayNumberOfDate', () => {
  it('parse times and dates', () => {
    expect(minutesOfTime('00:00')).toBe(0);
    expect(minutesOfTime('23:59')).toBe(1439);
    expect(minutesOfTime('24:00')).toBeNull();
    expect(minutesOfTime('24:00', true)).toBe(1440);
    expect(dayNumberOfDate('1970-01-02')).toBe(1);
    expect(dayNumberOfDate('2028-02-29')).toBe(Date.UTC(2028, 1, 29) / 86_400_000);
    expect(dayNumberOfDate('2027-02-29')).toBeNull();
  });
});
