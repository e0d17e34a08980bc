import { DateTime, IANAZone } from 'luxon';
import {
  CalendarDefinitionError,
  dayNumberOfDate,
  minutesOfTime,
  type CalendarDefinition,
  type TimeSpan,
  type Weekday,
} from './calendar-definition';

/** A real-time interval `[start, end)` during which a calendar is open. */
export interface OpenInterval {
  start: Date;
  end: Date;
}

const MIN_MS = 60_000;
const DAY_MS = 86_400_000;
// Date#getUTCDay order
const DAY_INDEX: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** a span as minutes after the local midnight of the date it starts on; end > start, end may pass 1440 */
type MinuteSpan = readonly [start: number, end: number];

interface CompiledCalendar {
  zone: IANAZone;
  /** indexed by Date#getUTCDay of the local date */
  weekly: MinuteSpan[][];
  holidays: Set<number>;
  /** local day number -> that date's spans ([] when closed) */
  overrides: Map<number, MinuteSpan[]>;
}

function bad(field: string, problem: string): CalendarDefinitionError {
  return new CalendarDefinitionError([{ field, problems: [problem] }]);
}

function toMinuteSpan(span: TimeSpan, field: string): MinuteSpan {
  const open = minutesOfTime(span.open);
  const close = minutesOfTime(span.close, true);
  if (open === null) throw bad(`${field}.open`, 'must be a time HH:MM from 00:00 to 23:59');
  if (close === null) throw bad(`${field}.close`, 'must be a time HH:MM from 00:00 to 24:00');
  if (open === close) throw bad(`${field}.close`, 'must differ from open');
  return [open, close < open ? close + 1440 : close];
}

function toDay(date: string, field: string): number {
  const day = dayNumberOfDate(date);
  if (day === null) throw bad(field, 'must be a real date YYYY-MM-DD');
  return day;
}

/**
 * Turns the stored shape into lookups. Cheap (linear in the definition) and redone per call on purpose: callers
 * may hold a definition they later change. The checks here only guard against an unvalidated object; the edge
 * should use parseCalendarDefinition.
 */
function compile(cal: CalendarDefinition): CompiledCalendar {
  const zone = IANAZone.create(cal.timeZone);
  if (!zone.isValid) throw bad('timeZone', `unknown IANA time zone ${JSON.stringify(cal.timeZone)}`);
  const weekly: MinuteSpan[][] = [[], [], [], [], [], [], []];
  cal.weekly.forEach((s, i) => {
    const index = DAY_INDEX[s.day];
    if (index === undefined) throw bad(`weekly[${i}].day`, 'must be one of mon, tue, wed, thu, fri, sat, sun');
    weekly[index].push(toMinuteSpan(s, `weekly[${i}]`));
  });
  const holidays = new Set(cal.holidays.map((h, i) => toDay(h.date, `holidays[${i}].date`)));
  const overrides = new Map<number, MinuteSpan[]>();
  cal.overrides.forEach((o, i) => {
    const spans = o.closed === true ? [] : (o.spans ?? []).map((s, j) => toMinuteSpan(s, `overrides[${i}].spans[${j}]`));
    overrides.set(toDay(o.date, `overrides[${i}].date`), spans);
  });
  return { zone, weekly, holidays, overrides };
}

/** Offset of the zone at an instant, in ms. */
function offsetMs(zone: IANAZone, ms: number): number {
  return zone.offset(ms) * MIN_MS;
}

/** The local date (days since 1970-01-01) of an instant in the zone. */
function localDayOf(zone: IANAZone, ms: number): number {
  return Math.floor((ms + offsetMs(zone, ms)) / DAY_MS);
}

/**
 * The instant of a local wall-clock time: `minutes` after local midnight of `day` (may pass 1440, which
 * rolls into the next date). Of two instants (the fall-back hour) the earlier; inside a gap (spring forward)
 * the first instant after it, i.e. the transition itself.
 */
function instantOfLocal(zone: IANAZone, day: number, minutes: number): number {
  const wall = day * DAY_MS + minutes * MIN_MS;
  // the offsets in force a day either side cover any single transition near this wall time
  const offsets = new Set([offsetMs(zone, wall - DAY_MS), offsetMs(zone, wall), offsetMs(zone, wall + DAY_MS)]);
  const guesses = [...offsets].map((o) => wall - o).sort((a, b) => a - b);
  const exact = guesses.find((t) => t + offsetMs(zone, t) === wall);
  if (exact !== undefined) return exact;
  // in a gap: the transition lies between the two guesses; find its first millisecond
  let lo = guesses[0];
  let hi = guesses[guesses.length - 1];
  const before = offsetMs(zone, lo);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The real-time spans that start on a local date, sorted by start; spans squeezed to nothing by a gap are dropped. */
function spansStartingOn(c: CompiledCalendar, day: number): [number, number][] {
  const local = c.overrides.get(day) ?? (c.holidays.has(day) ? [] : c.weekly[new Date(day * DAY_MS).getUTCDay()]);
  const out: [number, number][] = [];
  for (const [open, close] of local) {
    const start = instantOfLocal(c.zone, day, open);
    const end = instantOfLocal(c.zone, day, close);
    if (end > start) out.push([start, end]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Merged open periods intersecting [fromMs, toMs), clipped to it, in order. Lazy, so a search can stop at the
 * first hit. Spans of a later date never start before those of an earlier one, so a period can be handed out
 * as soon as a span starts after its end.
 */
function* openPeriods(c: CompiledCalendar, fromMs: number, toMs: number): Generator<[number, number]> {
  if (!(toMs > fromMs)) return;
  // a span ends before the second midnight after its date, so the date before `from` is the earliest that matters
  const firstDay = localDayOf(c.zone, fromMs) - 1;
  const lastDay = localDayOf(c.zone, toMs - 1);
  let current: [number, number] | null = null;
  for (let day = firstDay; day <= lastDay; day++) {
    for (const [s0, e0] of spansStartingOn(c, day)) {
      const start = Math.max(s0, fromMs);
      const end = Math.min(e0, toMs);
      if (end <= start) continue;
      if (current && start <= current[1]) {
        current[1] = Math.max(current[1], end);
        continue;
      }
      if (current) yield current;
      current = [start, end];
    }
  }
  if (current) yield current;
}

function millisOf(at: Date, name: string): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is an invalid Date`);
  return ms;
}

/**
 * The real-time open intervals intersecting `[from, to)`, clipped to it, merged where they touch or overlap
 * (Mon 22:00–24:00 and Tue 00:00–06:00 become one), sorted. Empty when `to <= from`.
 * See `CalendarDefinition` for how holidays, overrides, overnight spans and DST are handled.
 */
export function openSpansBetween(cal: CalendarDefinition, from: Date, to: Date): OpenInterval[] {
  const c = compile(cal);
  return [...openPeriods(c, millisOf(from, 'from'), millisOf(to, 'to'))].map(([s, e]) => ({ start: new Date(s), end: new Date(e) }));
}

/** Whether the calendar is open at the instant `at` (spans are `[open, close)`: open at 09:00, closed at 17:00). */
export function isOpenAt(cal: CalendarDefinition, at: Date): boolean {
  const ms = millisOf(at, 'at');
  return !openPeriods(compile(cal), ms, ms + 1).next().done;
}

/**
 * `at` itself when open at `at`, else the start of the next open span; null when nothing opens within
 * `horizonDays` (real days) of `at`.
 */
export function nextOpening(cal: CalendarDefinition, at: Date, horizonDays = 400): Date | null {
  const ms = millisOf(at, 'at');
  const first = openPeriods(compile(cal), ms, ms + horizonDays * DAY_MS).next();
  return first.done ? null : new Date(first.value[0]);
}

/**
 * When the open period containing `at` ends (merged across touching spans, so an overnight shift closes in
 * the morning). Null when closed at `at`, or when still open `horizonDays` (real days) after `at`.
 */
export function nextClosing(cal: CalendarDefinition, at: Date, horizonDays = 400): Date | null {
  const ms = millisOf(at, 'at');
  const until = ms + horizonDays * DAY_MS;
  const first = openPeriods(compile(cal), ms, until).next();
  if (first.done || first.value[0] !== ms || first.value[1] >= until) return null;
  return new Date(first.value[1]);
}

/**
 * Milliseconds of `[from, to)` during which the calendar is open, in real elapsed time (0 when `to <= from`);
 * used to pause a service-level clock while a queue is closed.
 */
export function openMillisBetween(cal: CalendarDefinition, from: Date, to: Date): number {
  let total = 0;
  for (const [s, e] of openPeriods(compile(cal), millisOf(from, 'from'), millisOf(to, 'to'))) total += e - s;
  return total;
}

function usableLocale(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    // a malformed tag from a contact's profile must not break an automatic reply
    return 'en';
  }
}

/**
 * A short phrase for an automatic reply saying when the calendar next opens, in its own zone and 24-hour
 * time: "Monday 09:00 (Europe/London)". Past six days ahead the date is added ("Monday, January 5 09:00
 * (Europe/London)") since a bare weekday would be read as this week's. When open at `at` it describes `at`.
 * Null when nothing opens within `horizonDays`. A malformed locale falls back to English.
 */
export function describeNextOpening(cal: CalendarDefinition, at: Date, locale = 'en', horizonDays = 400): string | null {
  const next = nextOpening(cal, at, horizonDays);
  if (!next) return null;
  const zone = IANAZone.create(cal.timeZone);
  const when = DateTime.fromJSDate(next, { zone }).setLocale(usableLocale(locale));
  const daysAhead = localDayOf(zone, next.getTime()) - localDayOf(zone, at.getTime());
  const day = when.toLocaleString(daysAhead > 6 ? { weekday: 'long', month: 'long', day: 'numeric' } : { weekday: 'long' });
  const time = when.toLocaleString({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${day} ${time} (${cal.timeZone})`;
}
