/**
 * Calendar definitions for the business-hours suite, built relative to the current UTC time so a
 * queue can be made "closed now" or "open now" without waiting for the real clock.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** by Date#getUTCDay */
const BY_UTC_DAY: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const LONG_NAME: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
const ALL_DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_MS = 86_400_000;

export interface Definition {
  timeZone: string;
  weekly: { day: Weekday; open: string; close: string }[];
  holidays: { date: string; name?: string }[];
  overrides: { date: string; closed?: boolean; spans?: { open: string; close: string }[]; note?: string }[];
}

/** The UTC weekday `daysAhead` days from `at`. */
export const utcWeekday = (daysAhead = 0, at = Date.now()): Weekday => BY_UTC_DAY[new Date(at + daysAhead * DAY_MS).getUTCDay()];

/** YYYY-MM-DD of an instant in UTC. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** HH:MM of an instant in UTC. */
export const utcTime = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/**
 * Closed now: open only 09:00–17:00 UTC on the weekday two days from today (never today, never a span
 * that could reach into today). `opening` is how the product should describe its next opening.
 */
export function closedNowCalendar(): { definition: Definition; opening: string } {
  const day = utcWeekday(2);
  return {
    definition: { timeZone: 'UTC', weekly: [{ day, open: '09:00', close: '17:00' }], holidays: [], overrides: [] },
    opening: `${LONG_NAME[day]} 09:00 (UTC)`,
  };
}

/** Open at every instant: 00:00–24:00 UTC every day. */
export function alwaysOpenCalendar(): Definition {
  return { timeZone: 'UTC', weekly: ALL_DAYS.map((day) => ({ day, open: '00:00', close: '24:00' })), holidays: [], overrides: [] };
}

/**
 * Closed now, and opening by itself at the instant `opensAt` (a whole UTC minute in the near future),
 * then open for the rest of that day and every day after. Built with overrides: the date it opens has
 * one span from `opensAt` to 24:00; today, when it is an earlier date, is closed.
 */
export function opensAtCalendar(opensAt: number, now = Date.now()): { definition: Definition; opening: string } {
  if (opensAt % 60_000 !== 0) throw new Error('opensAt must be a whole minute');
  const overrides: Definition['overrides'] = [{ date: utcDate(opensAt), spans: [{ open: utcTime(opensAt), close: '24:00' }], note: 'opens during the test' }];
  if (utcDate(now) !== utcDate(opensAt)) overrides.push({ date: utcDate(now), closed: true });
  return {
    definition: { timeZone: 'UTC', weekly: ALL_DAYS.map((day) => ({ day, open: '00:00', close: '24:00' })), holidays: [], overrides },
    opening: `${LONG_NAME[utcWeekday(0, opensAt)]} ${utcTime(opensAt)} (UTC)`,
  };
}
