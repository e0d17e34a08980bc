import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DomainError, ErrorCode } from '@cc/shared';

/** A day of the week as stored in a calendar's weekly spans. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Every weekday, Monday first. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * One opening span in local wall-clock time, `HH:MM` to `HH:MM`.
 *
 * - `open` is 00:00–23:59; `close` is 00:00–24:00 ("24:00" is the end of the day).
 * - `close <= open` means the span runs past midnight and closes at `close` on the next date (22:00–06:00).
 * - `open === close` is refused: a whole day is 00:00–24:00.
 */
export interface TimeSpan {
  open: string;
  close: string;
}

/** A weekly opening span; several per day are allowed (split shifts). */
export interface WeeklySpan extends TimeSpan {
  day: Weekday;
}

/** A whole local date on which no span starts (a public holiday). */
export interface CalendarHoliday {
  /** YYYY-MM-DD, a local date in the calendar's zone */
  date: string;
  name?: string;
}

/**
 * A one-off date: either `closed: true` (no span starts that date) or `spans` replacing that date's weekly
 * spans (`spans: []` also closes it). Setting both is refused. An override wins over a holiday on the same date.
 */
export interface CalendarOverride {
  /** YYYY-MM-DD, a local date in the calendar's zone */
  date: string;
  closed?: boolean;
  spans?: TimeSpan[];
  note?: string;
}

/**
 * A business-hours calendar, the stored JSON shape. Validate it at the edge with `parseCalendarDefinition`.
 *
 * Semantics:
 * - A span belongs to the local date it starts on. A holiday or a `closed` override removes the spans that
 *   START on that date; an overnight span that started the evening before still runs to its end.
 * - An override with `spans` replaces that date's weekly spans (also on a holiday).
 * - Wall-clock times are resolved in `timeZone` on each date. A local time that does not exist (the
 *   spring-forward gap) moves forward to the first instant that does: 02:30 on 2026-03-08 in America/New_York
 *   is 03:00 EDT (07:00Z). A local time that occurs twice (the fall-back hour) is its first occurrence, and a
 *   span is measured in real elapsed time: 00:00–06:00 on a fall-back night lasts 7 hours.
 * - Everything is computed in real instants (UTC), never by adding hours to local times.
 */
export interface CalendarDefinition {
  /** IANA zone, e.g. "Europe/London" */
  timeZone: string;
  /** weekly opening spans in local wall-clock time */
  weekly: WeeklySpan[];
  /** whole local dates closed (public holidays) */
  holidays: CalendarHoliday[];
  /** one-off dates: closed, or special hours replacing that date's weekly spans */
  overrides: CalendarOverride[];
}

/** One problem found in a calendar definition: the field's path (`weekly[0].open`) and what is wrong with it. */
export interface CalendarDefinitionProblem {
  field: string;
  problems: string[];
}

/**
 * Thrown when a calendar definition is invalid. A `validation_failed` DomainError, so the HTTP filter answers
 * 400; the message names each bad field and `details` lists them.
 */
export class CalendarDefinitionError extends DomainError {
  constructor(readonly problems: CalendarDefinitionProblem[]) {
    super(
      ErrorCode.ValidationFailed,
      `invalid calendar definition: ${problems.map((p) => `${p.field}: ${p.problems.join(', ')}`).join('; ')}`,
      problems,
    );
    this.name = 'CalendarDefinitionError';
  }
}

const HHMM = /^(\d{2}):(\d{2})$/;
const YMD = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * Minutes after local midnight of an `HH:MM` string (00:00–23:59, or 24:00 when `allowEndOfDay`), or null
 * when malformed.
 */
export function minutesOfTime(hhmm: string, allowEndOfDay = false): number | null {
  const m = HHMM.exec(hhmm);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return null;
  if (h < 24) return h * 60 + min;
  return allowEndOfDay && h === 24 && min === 0 ? 1440 : null;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` calendar date, or null when malformed or not a real date. */
export function dayNumberOfDate(ymd: string): number | null {
  const m = YMD.exec(ymd);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 02-30 over into March: a real date survives the round trip
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

const openTime = z.string().refine((s) => minutesOfTime(s) !== null, { error: 'must be a time HH:MM from 00:00 to 23:59' });
const closeTime = z
  .string()
  .refine((s) => minutesOfTime(s, true) !== null, { error: 'must be a time HH:MM from 00:00 to 24:00' });
const localDate = z.string().refine((s) => dayNumberOfDate(s) !== null, { error: 'must be a real date YYYY-MM-DD' });

const spanShape = { open: openTime, close: closeTime };
const distinctEnds = {
  check: (s: TimeSpan) => s.open !== s.close,
  params: { error: 'must differ from open (a whole day is 00:00–24:00)', path: ['close'] },
};

const timeSpan = z.object(spanShape).refine(distinctEnds.check, distinctEnds.params);
const weeklySpan = z.object({ day: z.enum(WEEKDAYS), ...spanShape }).refine(distinctEnds.check, distinctEnds.params);

const holiday = z.object({ date: localDate, name: z.string().max(200).optional() });

const override = z
  .object({
    date: localDate,
    closed: z.boolean().optional(),
    spans: z.array(timeSpan).max(48).optional(),
    note: z.string().max(500).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.closed === true && o.spans !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give either closed: true or spans, not both', path: ['spans'] });
    } else if (o.closed !== true && o.spans === undefined) {
      // an override that changes nothing is almost certainly a mistake in the admin UI
      ctx.addIssue({ code: 'custom', message: 'must be closed: true or give spans', path: ['closed'] });
    }
  });

/** The zod schema of a stored calendar definition; `parseCalendarDefinition` wraps it. */
export const calendarDefinitionSchema: z.ZodType<CalendarDefinition> = z.object({
  timeZone: z.string().refine((tz) => IANAZone.isValidZone(tz), { error: (iss) => `unknown IANA time zone ${JSON.stringify(iss.input)}` }),
  weekly: z.array(weeklySpan).max(200),
  holidays: z.array(holiday).max(5000),
  overrides: z
    .array(override)
    .max(5000)
    .superRefine((list, ctx) => {
      const first = new Map<string, number>();
      list.forEach((o, i) => {
        const seen = first.get(o.date);
        if (seen === undefined) first.set(o.date, i);
        else ctx.addIssue({ code: 'custom', message: `duplicate override date ${o.date} (also overrides[${seen}])`, path: [i, 'date'] });
      });
    }),
});

function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || 'calendar';
}

/**
 * Validates an untrusted value (a request body, a JSON column) as a calendar definition. Unknown keys are
 * dropped. Throws a `CalendarDefinitionError` naming each bad field: unknown time zone, bad HH:MM, bad date,
 * open === close, an override both closed and with spans (or neither), duplicate override dates.
 */
export function parseCalendarDefinition(input: unknown): CalendarDefinition {
  const parsed = calendarDefinitionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const byField = new Map<string, string[]>();
  for (const issue of parsed.error.issues) {
    const field = fieldOf(issue.path);
    byField.set(field, [...(byField.get(field) ?? []), issue.message]);
  }
  throw new CalendarDefinitionError([...byField].map(([field, problems]) => ({ field, problems })));
}
