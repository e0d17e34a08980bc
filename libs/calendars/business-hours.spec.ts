import {
  describeNextOpening,
  isOpenAt,
  nextClosing,
  nextOpening,
  openMillisBetween,
  openSpansBetween,
  type OpenInterval,
} from './business-hours';
import { CalendarDefinitionError, WEEKDAYS, type CalendarDefinition, type Weekday, type WeeklySpan } from './calendar-definition';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);
const iso = (spans: OpenInterval[]) => spans.map((s) => [s.start.toISOString(), s.end.toISOString()]);

function calendar(timeZone: string, weekly: WeeklySpan[], over: Partial<CalendarDefinition> = {}): CalendarDefinition {
  return { timeZone, weekly, holidays: [], overrides: [], ...over };
}

const WORKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const weekdays = (open: string, close: string): WeeklySpan[] => WORKDAYS.map((day) => ({ day, open, close }));

describe('a weekday 09:00–17:00 calendar in Europe/London', () => {
  const london = calendar('Europe/London', weekdays('09:00', '17:00'));

  it('is open from 09:00 exactly and closed from 17:00 exactly', () => {
    // 2026-03-23 is a Monday, on GMT
    expect(isOpenAt(london, at('2026-03-23T08:59:59.999Z'))).toBe(false);
    expect(isOpenAt(london, at('2026-03-23T09:00:00.000Z'))).toBe(true);
    expect(isOpenAt(london, at('2026-03-23T16:59:59.999Z'))).toBe(true);
    expect(isOpenAt(london, at('2026-03-23T17:00:00.000Z'))).toBe(false);
    expect(isOpenAt(london, at('2026-03-28T12:00:00.000Z'))).toBe(false); // Saturday
  });

  it('opens an hour earlier in UTC after the spring-forward of 2026-03-29', () => {
    const spans = openSpansBetween(london, at('2026-03-26T00:00:00Z'), at('2026-03-31T00:00:00Z'));
    expect(iso(spans)).toEqual([
      ['2026-03-26T09:00:00.000Z', '2026-03-26T17:00:00.000Z'],
      ['2026-03-27T09:00:00.000Z', '2026-03-27T17:00:00.000Z'],
      ['2026-03-30T08:00:00.000Z', '2026-03-30T16:00:00.000Z'],
    ]);
    expect(isOpenAt(london, at('2026-03-30T08:00:00Z'))).toBe(true);
    expect(isOpenAt(london, at('2026-03-30T16:00:00Z'))).toBe(false);
    expect(nextOpening(london, at('2026-03-27T17:00:00Z'))).toEqual(at('2026-03-30T08:00:00Z'));
  });

  it('opens an hour later in UTC after the fall-back of 2026-10-25', () => {
    expect(nextOpening(london, at('2026-10-23T07:00:00Z'))).toEqual(at('2026-10-23T08:00:00Z'));
    expect(nextClosing(london, at('2026-10-23T08:00:00Z'))).toEqual(at('2026-10-23T16:00:00Z'));
    expect(nextOpening(london, at('2026-10-23T16:00:00Z'))).toEqual(at('2026-10-26T09:00:00Z'));
    expect(nextClosing(london, at('2026-10-26T09:00:00Z'))).toEqual(at('2026-10-26T17:00:00Z'));
  });

  it('gives `at` itself as the next opening while open, and no closing while closed', () => {
    expect(nextOpening(london, at('2026-03-23T10:15:00Z'))).toEqual(at('2026-03-23T10:15:00Z'));
    expect(nextClosing(london, at('2026-03-23T10:15:00Z'))).toEqual(at('2026-03-23T17:00:00Z'));
    expect(nextClosing(london, at('2026-03-23T17:00:00Z'))).toBeNull();
  });

  it('describes the next opening in the calendar zone', () => {
    // Saturday 2026-03-28 → Monday 2026-03-30 09:00 BST
    expect(describeNextOpening(london, at('2026-03-28T12:00:00Z'))).toBe('Monday 09:00 (Europe/London)');
    expect(describeNextOpening(london, at('2026-03-28T12:00:00Z'), 'fr')).toBe('lundi 09:00 (Europe/London)');
    expect(describeNextOpening(london, at('2026-03-28T12:00:00Z'), 'not a locale!')).toBe('Monday 09:00 (Europe/London)');
  });

  it('adds the date when the next opening is more than six days away', () => {
    const closedWeek = {
      ...london,
      holidays: ['2026-03-30', '2026-03-31', '2026-04-01', '2026-04-02', '2026-04-03'].map((date) => ({ date })),
    };
    expect(describeNextOpening(closedWeek, at('2026-03-28T12:00:00Z'))).toBe('Monday, April 6 09:00 (Europe/London)');
  });

  it('gives up at the horizon', () => {
    expect(nextOpening(london, at('2026-03-28T12:00:00Z'), 1)).toBeNull();
    expect(nextOpening(london, at('2026-03-28T12:00:00Z'), 2)).toEqual(at('2026-03-30T08:00:00Z'));
  });
});

describe('America/New_York DST nights', () => {
  it('a 00:00–06:00 span on the spring-forward night lasts 5 real hours', () => {
    const ny = calendar('America/New_York', [{ day: 'sun', open: '00:00', close: '06:00' }]);
    const spans = openSpansBetween(ny, at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'));
    expect(iso(spans)).toEqual([['2026-03-08T05:00:00.000Z', '2026-03-08T10:00:00.000Z']]);
    expect(openMillisBetween(ny, at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z'))).toBe(5 * HOUR);
  });

  it('a span opening at 02:30 on the spring-forward date opens at 03:00 local (07:00Z)', () => {
    const ny = calendar('America/New_York', [{ day: 'sun', open: '02:30', close: '05:00' }]);
    expect(nextOpening(ny, at('2026-03-07T12:00:00Z'))).toEqual(at('2026-03-08T07:00:00Z'));
    expect(isOpenAt(ny, at('2026-03-08T06:59:59.999Z'))).toBe(false);
    expect(isOpenAt(ny, at('2026-03-08T07:00:00Z'))).toBe(true);
    expect(nextClosing(ny, at('2026-03-08T07:00:00Z'))).toEqual(at('2026-03-08T09:00:00Z'));
    expect(describeNextOpening(ny, at('2026-03-07T12:00:00Z'))).toBe('Sunday 03:00 (America/New_York)');
    // the next Sunday has no gap: 02:30 EDT
    expect(nextOpening(ny, at('2026-03-09T00:00:00Z'))).toEqual(at('2026-03-15T06:30:00Z'));
  });

  it('drops a span that lies wholly inside the spring-forward gap', () => {
    const ny = calendar('America/New_York', [{ day: 'sun', open: '02:00', close: '02:45' }]);
    expect(openSpansBetween(ny, at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'))).toEqual([]);
  });

  it('a 00:00–06:00 span on the fall-back night lasts 7 real hours', () => {
    const ny = calendar('America/New_York', [{ day: 'sun', open: '00:00', close: '06:00' }]);
    // the whole local day 2026-11-01 is 25 hours long: 04:00Z to 05:00Z the next day
    expect(openMillisBetween(ny, at('2026-11-01T04:00:00Z'), at('2026-11-02T05:00:00Z'))).toBe(7 * HOUR);
    expect(iso(openSpansBetween(ny, at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z')))).toEqual([
      ['2026-11-01T04:00:00.000Z', '2026-11-01T11:00:00.000Z'],
    ]);
  });

  it('takes the first occurrence of a repeated local time', () => {
    const ny = calendar('America/New_York', [{ day: 'sun', open: '01:30', close: '01:45' }]);
    expect(iso(openSpansBetween(ny, at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z')))).toEqual([
      ['2026-11-01T05:30:00.000Z', '2026-11-01T05:45:00.000Z'],
    ]);
  });
});

describe('overnight shifts', () => {
  // January: London is on GMT, so local time reads as UTC; 2026-01-09 is a Friday
  const night = calendar('Europe/London', [{ day: 'fri', open: '22:00', close: '06:00' }]);

  it('run past midnight into the next day', () => {
    expect(isOpenAt(night, at('2026-01-09T21:59:00Z'))).toBe(false);
    expect(isOpenAt(night, at('2026-01-09T22:00:00Z'))).toBe(true);
    expect(isOpenAt(night, at('2026-01-10T03:00:00Z'))).toBe(true);
    expect(isOpenAt(night, at('2026-01-10T06:00:00Z'))).toBe(false);
    expect(isOpenAt(night, at('2026-01-10T07:00:00Z'))).toBe(false);
    expect(nextClosing(night, at('2026-01-10T03:00:00Z'))).toEqual(at('2026-01-10T06:00:00Z'));
  });

  it('merge with a span that starts when they end', () => {
    const longer = { ...night, weekly: [...night.weekly, { day: 'sat' as const, open: '06:00', close: '10:00' }] };
    expect(isOpenAt(longer, at('2026-01-10T07:00:00Z'))).toBe(true);
    expect(iso(openSpansBetween(longer, at('2026-01-09T00:00:00Z'), at('2026-01-11T00:00:00Z')))).toEqual([
      ['2026-01-09T22:00:00.000Z', '2026-01-10T10:00:00.000Z'],
    ]);
    expect(nextClosing(longer, at('2026-01-10T03:00:00Z'))).toEqual(at('2026-01-10T10:00:00Z'));
  });

  it('merge 22:00–24:00 with the next day 00:00–06:00, and overlapping spans into one', () => {
    const cal = calendar('Europe/London', [
      { day: 'mon', open: '22:00', close: '24:00' },
      { day: 'tue', open: '00:00', close: '06:00' },
      { day: 'tue', open: '05:00', close: '08:00' },
    ]);
    expect(iso(openSpansBetween(cal, at('2026-01-12T00:00:00Z'), at('2026-01-14T00:00:00Z')))).toEqual([
      ['2026-01-12T22:00:00.000Z', '2026-01-13T08:00:00.000Z'],
    ]);
  });

  it('are clipped to the asked window', () => {
    expect(iso(openSpansBetween(night, at('2026-01-10T01:00:00Z'), at('2026-01-10T02:30:00Z')))).toEqual([
      ['2026-01-10T01:00:00.000Z', '2026-01-10T02:30:00.000Z'],
    ]);
    expect(openMillisBetween(night, at('2026-01-10T01:00:00Z'), at('2026-01-10T02:30:00Z'))).toBe(1.5 * HOUR);
    expect(openMillisBetween(night, at('2026-01-10T02:30:00Z'), at('2026-01-10T01:00:00Z'))).toBe(0);
  });
});

describe('split shifts', () => {
  const split = calendar('Europe/London', [...weekdays('09:00', '12:00'), ...weekdays('13:00', '17:00')]);

  it('are closed over lunch and reopen at 13:00', () => {
    expect(isOpenAt(split, at('2026-01-12T11:59:00Z'))).toBe(true);
    expect(isOpenAt(split, at('2026-01-12T12:30:00Z'))).toBe(false);
    expect(nextOpening(split, at('2026-01-12T12:30:00Z'))).toEqual(at('2026-01-12T13:00:00Z'));
    expect(nextClosing(split, at('2026-01-12T10:00:00Z'))).toEqual(at('2026-01-12T12:00:00Z'));
    expect(nextClosing(split, at('2026-01-12T12:30:00Z'))).toBeNull();
    expect(openMillisBetween(split, at('2026-01-12T00:00:00Z'), at('2026-01-13T00:00:00Z'))).toBe(7 * HOUR);
  });
});

describe('holidays and overrides', () => {
  // 2026-01-11 is a Sunday, 2026-01-12 a Monday
  const base = calendar('Europe/London', [...weekdays('09:00', '17:00'), { day: 'sun', open: '22:00', close: '02:00' }]);

  it('a holiday closes the spans starting that date, not the overnight span from the evening before', () => {
    const cal = { ...base, holidays: [{ date: '2026-01-12', name: 'Bank holiday' }] };
    expect(isOpenAt(cal, at('2026-01-12T01:00:00Z'))).toBe(true);
    expect(nextClosing(cal, at('2026-01-12T01:00:00Z'))).toEqual(at('2026-01-12T02:00:00Z'));
    expect(isOpenAt(cal, at('2026-01-12T02:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, at('2026-01-12T10:00:00Z'))).toBe(false);
    expect(nextOpening(cal, at('2026-01-12T08:00:00Z'))).toEqual(at('2026-01-13T09:00:00Z'));
    // without the holiday Monday opens as usual
    expect(nextOpening(base, at('2026-01-12T08:00:00Z'))).toEqual(at('2026-01-12T09:00:00Z'));
  });

  it('a holiday on the Sunday removes the overnight span that starts then', () => {
    const cal = { ...base, holidays: [{ date: '2026-01-11' }] };
    expect(isOpenAt(cal, at('2026-01-11T23:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, at('2026-01-12T01:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, at('2026-01-12T09:00:00Z'))).toBe(true);
  });

  it('a closed override closes that date', () => {
    const cal = { ...base, overrides: [{ date: '2026-01-13', closed: true, note: 'staff training' }] };
    expect(isOpenAt(cal, at('2026-01-13T10:00:00Z'))).toBe(false);
    expect(nextOpening(cal, at('2026-01-13T08:00:00Z'))).toEqual(at('2026-01-14T09:00:00Z'));
    expect(isOpenAt(cal, at('2026-01-12T10:00:00Z'))).toBe(true);
  });

  it('special hours replace that date’s weekly spans', () => {
    const cal = { ...base, overrides: [{ date: '2026-01-14', spans: [{ open: '10:00', close: '14:00' }] }] };
    expect(isOpenAt(cal, at('2026-01-14T09:30:00Z'))).toBe(false);
    expect(nextOpening(cal, at('2026-01-14T09:30:00Z'))).toEqual(at('2026-01-14T10:00:00Z'));
    expect(isOpenAt(cal, at('2026-01-14T10:00:00Z'))).toBe(true);
    expect(nextClosing(cal, at('2026-01-14T11:00:00Z'))).toEqual(at('2026-01-14T14:00:00Z'));
    expect(isOpenAt(cal, at('2026-01-14T15:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, at('2026-01-15T15:00:00Z'))).toBe(true);
  });

  it('special hours win over a holiday on the same date, and empty spans close it', () => {
    const cal = {
      ...base,
      holidays: [{ date: '2026-01-12' }],
      overrides: [
        { date: '2026-01-12', spans: [{ open: '10:00', close: '12:00' }] },
        { date: '2026-01-13', spans: [] },
      ],
    };
    expect(isOpenAt(cal, at('2026-01-12T11:00:00Z'))).toBe(true);
    expect(isOpenAt(cal, at('2026-01-13T11:00:00Z'))).toBe(false);
  });
});

describe('a calendar with no spans', () => {
  const never = calendar('Europe/Paris', []);

  it('is never open', () => {
    expect(isOpenAt(never, at('2026-01-12T10:00:00Z'))).toBe(false);
    expect(nextOpening(never, at('2026-01-12T10:00:00Z'))).toBeNull();
    expect(nextClosing(never, at('2026-01-12T10:00:00Z'))).toBeNull();
    expect(openMillisBetween(never, at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).toBe(0);
    expect(describeNextOpening(never, at('2026-01-12T10:00:00Z'))).toBeNull();
  });
});

describe('a calendar open around the clock', () => {
  const always = calendar(
    'Europe/London',
    WEEKDAYS.map((day) => ({ day, open: '00:00', close: '24:00' })),
  );

  it('is one interval across days and a DST change, and never closes within the horizon', () => {
    expect(iso(openSpansBetween(always, at('2026-03-27T12:00:00Z'), at('2026-03-31T12:00:00Z')))).toEqual([
      ['2026-03-27T12:00:00.000Z', '2026-03-31T12:00:00.000Z'],
    ]);
    expect(nextClosing(always, at('2026-03-27T12:00:00Z'))).toBeNull();
    expect(nextOpening(always, at('2026-03-27T12:00:00Z'))).toEqual(at('2026-03-27T12:00:00Z'));
  });
});

describe('openMillisBetween over a whole week', () => {
  // weekdays 09:00–17:00 (5 × 8 h) plus a Saturday night shift 22:00–06:00 that crosses the DST change
  const cal = calendar('Europe/London', [...weekdays('09:00', '17:00'), { day: 'sat', open: '22:00', close: '06:00' }]);
  const sum = (spans: OpenInterval[]) => spans.reduce((t, s) => t + (s.end.getTime() - s.start.getTime()), 0);

  it('equals the sum of the spans on an ordinary week', () => {
    const [from, to] = [at('2026-01-12T00:00:00Z'), at('2026-01-19T00:00:00Z')];
    expect(openMillisBetween(cal, from, to)).toBe(48 * HOUR);
    expect(sum(openSpansBetween(cal, from, to))).toBe(48 * HOUR);
  });

  it('counts the spring-forward night shift as 7 real hours', () => {
    // local Monday 2026-03-23 00:00 GMT to Monday 2026-03-30 00:00 BST: a 167-hour week
    const [from, to] = [at('2026-03-23T00:00:00Z'), at('2026-03-29T23:00:00Z')];
    expect(openMillisBetween(cal, from, to)).toBe(47 * HOUR);
    expect(sum(openSpansBetween(cal, from, to))).toBe(47 * HOUR);
  });

  it('counts the fall-back night shift as 9 real hours', () => {
    // local Monday 2026-10-19 00:00 BST to Monday 2026-10-26 00:00 GMT: a 169-hour week
    const [from, to] = [at('2026-10-18T23:00:00Z'), at('2026-10-26T00:00:00Z')];
    expect(openMillisBetween(cal, from, to)).toBe(49 * HOUR);
    expect(iso(openSpansBetween(cal, from, to)).at(-1)).toEqual(['2026-10-24T21:00:00.000Z', '2026-10-25T06:00:00.000Z']);
  });
});

describe('guards', () => {
  it('refuses an unvalidated definition with an unknown zone or a bad time', () => {
    expect(() => isOpenAt(calendar('Mars/Olympus', []), at('2026-01-12T10:00:00Z'))).toThrow(CalendarDefinitionError);
    expect(() => isOpenAt(calendar('UTC', [{ day: 'mon', open: '9am', close: '17:00' }]), at('2026-01-12T10:00:00Z'))).toThrow(
      /weekly\[0\]\.open/,
    );
  });

  it('refuses an invalid Date', () => {
    expect(() => isOpenAt(calendar('UTC', []), new Date('nope'))).toThrow(RangeError);
  });
});
