import { type CalendarDefinition, openMillisBetween } from '@cc/calendars';

/** One contact as the metrics need it; every time comes from the contact's event log. */
export interface ContactFacts {
  id: string;
  queueId: string;
  channel: string;
  /** the agent who accepted it last (who finished it), if anyone did */
  agentId: string | null;
  customerId: string;
  state: string;
  createdAt: Date;
  answeredAt: Date | null;
  closedAt: Date | null;
  /** the queue's threshold, and whether its clock stops while the queue's calendar is closed */
  serviceLevelSeconds: number;
  serviceLevelPausesWhenClosed: boolean;
  calendar: CalendarDefinition | null;
  /** time agents held it (from each accept to that agent's hand-over or the close): talk, hold and wrap-up */
  handleSeconds: number | null;
  transfers: number;
  /** the same customer made another contact within the first-contact-resolution window after this one closed */
  repeatContact: boolean;
  csat: number | null;
}

export interface ContactMetrics {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  averageWaitSeconds: number | null;
  maxWaitSeconds: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  averageHandleTimeSeconds: number | null;
  serviceLevelPercent: number | null;
  transfers: number;
  firstContactResolutionPercent: number | null;
  csatAverage: number | null;
  csatResponses: number;
}

const seconds = (ms: number) => ms / 1000;
const average = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
const round = (x: number) => Math.round(x * 100) / 100;

/** Wait that counts against the service level: real time, or open time only if the queue pauses its clock. */
function serviceLevelWaitMs(c: ContactFacts, until: Date): number {
  if (c.serviceLevelPausesWhenClosed && c.calendar) return openMillisBetween(c.calendar, c.createdAt, until);
  return until.getTime() - c.createdAt.getTime();
}

/**
 * The contact metrics, as the README defines each one. `shortAbandonSeconds`: an abandon within
 * this long of arriving is a short abandon, left out of abandoned, waits and the service level.
 */
export function contactMetrics(contacts: ContactFacts[], shortAbandonSeconds: number): ContactMetrics {
  const answered = contacts.filter((c) => c.answeredAt);
  const abandonedAll = contacts.filter((c) => c.state === 'abandoned' && !c.answeredAt);
  const waitOf = (c: ContactFacts, end: Date) => end.getTime() - c.createdAt.getTime();
  const short = abandonedAll.filter((c) => c.closedAt && waitOf(c, c.closedAt) < shortAbandonSeconds * 1000);
  const abandoned = abandonedAll.filter((c) => !short.includes(c));
  const waits = [...answered.map((c) => waitOf(c, c.answeredAt!)), ...abandoned.filter((c) => c.closedAt).map((c) => waitOf(c, c.closedAt!))].map(seconds);
  // handled: answered and closed by an agent (a contact transferred back to the queue and then left is not)
  const handled = answered.filter((c) => c.state === 'closed' && c.closedAt);
  const withinSl = answered.filter((c) => serviceLevelWaitMs(c, c.answeredAt!) <= c.serviceLevelSeconds * 1000);
  const slBase = answered.length + abandoned.length;
  const rated = contacts.filter((c) => c.csat !== null);
  return {
    offered: contacts.length,
    answered: answered.length,
    abandoned: abandoned.length,
    shortAbandoned: short.length,
    averageWaitSeconds: average(waits),
    maxWaitSeconds: waits.length ? round(Math.max(...waits)) : null,
    averageSpeedOfAnswerSeconds: average(answered.map((c) => seconds(waitOf(c, c.answeredAt!)))),
    averageHandleTimeSeconds: average(handled.map((c) => c.handleSeconds ?? seconds(c.closedAt!.getTime() - c.answeredAt!.getTime()))),
    serviceLevelPercent: slBase ? round((withinSl.length / slBase) * 100) : null,
    transfers: contacts.reduce((n, c) => n + c.transfers, 0),
    firstContactResolutionPercent: handled.length ? round((handled.filter((c) => !c.repeatContact).length / handled.length) * 100) : null,
    csatAverage: average(rated.map((c) => c.csat!)),
    csatResponses: rated.length,
  };
}
