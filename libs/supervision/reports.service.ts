import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DateTime } from 'luxon';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { type ContactFacts, type ContactMetrics, contactMetrics } from './metrics';

export type ReportInterval = '15m' | '1h' | '1d';
export type ReportGrouping = 'queue' | 'agent' | 'channel';

export interface ReportRange {
  from: Date;
  to: Date;
  interval: ReportInterval;
  timeZone: string;
}

export interface ContactReportRow extends ContactMetrics {
  /** the interval's start, in the report's time zone (ISO 8601 with offset) */
  intervalStart: string;
  group: { id: string; name: string };
}

export interface AgentPerformanceRow {
  intervalStart: string;
  agent: { id: string; name: string };
  availableSeconds: number;
  awaySeconds: number;
  offlineSeconds: number;
  /** time holding at least one contact (active or in wrap-up) */
  handlingSeconds: number;
  wrapUpSeconds: number;
  handled: number;
  /** handling time ÷ available time */
  occupancyPercent: number | null;
  /** handling time ÷ signed-in time (available + away) */
  utilisationPercent: number | null;
}

const MAX_BUCKETS = 20_000;
const round = (x: number) => Math.round(x * 100) / 100;

/**
 * Reports over any range, bucketed by the contact's arrival in the chosen time zone. Every figure is
 * computed from stored facts (contacts' event times, offers, the agent state log), so a report can be
 * recomputed and audited; each metric's definition is in the README.
 */
@Injectable()
export class ReportsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async contacts(range: ReportRange, groupBy: ReportGrouping, fcrWindowHours: number): Promise<ContactReportRow[]> {
    const facts = await this.facts(range.from, range.to, fcrWindowHours);
    const names = await this.groupNames(groupBy);
    const groups = new Map<string, { start: string; id: string; contacts: ContactFacts[] }>();
    for (const c of facts) {
      const id = groupBy === 'queue' ? c.queueId : groupBy === 'agent' ? c.agentId : c.channel;
      if (!id) continue; // by agent: contacts nobody answered belong to no agent
      const start = bucketStart(c.createdAt, range);
      const key = `${start}\u0000${id}`;
      if (!groups.has(key)) groups.set(key, { start, id, contacts: [] });
      groups.get(key)!.contacts.push(c);
    }
    // in time order: labels alone mislead in the hour repeated when clocks go back
    return [...groups.values()]
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (names.get(a.id) ?? a.id).localeCompare(names.get(b.id) ?? b.id))
      .map((g) => ({ intervalStart: g.start, group: { id: g.id, name: names.get(g.id) ?? g.id }, ...contactMetrics(g.contacts, this.config.shortAbandonSeconds) }));
  }

  /** Contacts that arrived in [from, to), with what the metrics need. Also the live "today" figures. */
  async facts(from: Date, to: Date, fcrWindowHours = 24, queueIds?: string[]): Promise<ContactFacts[]> {
    const rows: any[] = await this.db.query(
      `SELECT c.id, c.queue_id, c.channel, c.customer_id, c.state, c.created_at, c.answered_at, c.closed_at, c.csat,
              q.service_level_seconds, q.service_level_pauses_when_closed, cal.definition AS calendar,
              (SELECT o.agent_id FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'accepted' ORDER BY o.resolved_at DESC LIMIT 1) AS agent_id,
              -- talk, hold and wrap-up: the time agents held it, not the time it spent back in a queue between them
              (SELECT sum(extract(epoch FROM ${HOLD_ENDS_AT} - o.resolved_at))::float8 FROM contact_offers o
                WHERE o.contact_id = c.id AND o.status = 'accepted') AS handle_seconds,
              -- cold transfers, and warm ones the second agent accepted
              (SELECT count(*)::int FROM contact_events e WHERE e.contact_id = c.id AND e.type IN ('transferred', 'transfer_accepted')) AS transfers,
              EXISTS (SELECT 1 FROM contacts n WHERE n.customer_id = c.customer_id AND n.id <> c.id
                         AND n.created_at > c.closed_at AND n.created_at <= c.closed_at + make_interval(hours => $3)) AS repeat_contact
         FROM contacts c JOIN queues q ON q.id = c.queue_id LEFT JOIN calendars cal ON cal.id = q.calendar_id
        WHERE c.created_at >= $1 AND c.created_at < $2 AND ($4::uuid[] IS NULL OR c.queue_id = ANY($4))
        ORDER BY c.created_at, c.id`,
      [from, to, fcrWindowHours, queueIds ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      queueId: r.queue_id,
      channel: r.channel,
      agentId: r.agent_id,
      customerId: r.customer_id,
      state: r.state,
      createdAt: new Date(r.created_at),
      answeredAt: r.answered_at ? new Date(r.answered_at) : null,
      closedAt: r.closed_at ? new Date(r.closed_at) : null,
      serviceLevelSeconds: r.service_level_seconds,
      serviceLevelPausesWhenClosed: r.service_level_pauses_when_closed,
      calendar: r.calendar,
      handleSeconds: r.handle_seconds,
      transfers: r.transfers,
      repeatContact: r.repeat_contact,
      csat: r.csat,
    }));
  }

  /** Time in each presence, handling and wrap-up time, occupancy and utilisation, per agent and interval. */
  async agentPerformance(range: ReportRange): Promise<AgentPerformanceRow[]> {
    const agents: { id: string; name: string }[] = await this.db.query(`SELECT u.id, u.name FROM users u JOIN agents a ON a.user_id = u.id ORDER BY u.name`);
    // the presence each agent was in when the range began, and every change during it
    const states: { agent_id: string; presence: string; started_at: Date }[] = await this.db.query(
      `SELECT agent_id, presence, started_at FROM (
         SELECT DISTINCT ON (agent_id) agent_id, presence, started_at FROM agent_state_log WHERE started_at < $1 ORDER BY agent_id, started_at DESC, id DESC
       ) before
       UNION ALL
       SELECT agent_id, presence, started_at FROM agent_state_log WHERE started_at >= $1 AND started_at < $2
       ORDER BY agent_id, started_at`,
      [range.from, range.to],
    );
    // each accepted offer is a stretch of handling: from the accept until the contact closed or left the agent
    const work: { agent_id: string; start: Date; end: Date | null; wrap_start: Date | null }[] = await this.db.query(
      `SELECT o.agent_id, o.resolved_at AS start, ${HOLD_ENDS_AT} AS end,
              (SELECT min(e.created_at) FROM contact_events e WHERE e.contact_id = o.contact_id AND e.created_at >= o.resolved_at AND e.type = 'wrap_up') AS wrap_start
         FROM contact_offers o
        WHERE o.status = 'accepted' AND o.resolved_at < $2
          AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = o.contact_id AND c.closed_at IS NOT NULL AND c.closed_at < $1)`,
      [range.from, range.to],
    );
    const closings: { agent_id: string; at: Date }[] = await this.db.query(
      `SELECT actor_id AS agent_id, created_at AS at FROM contact_events
        WHERE type = 'closed' AND actor_type = 'agent' AND created_at >= $1 AND created_at < $2`,
      [range.from, range.to],
    );
    const now = new Date();
    const rangeEnd = new Date(Math.min(range.to.getTime(), now.getTime()));
    const buckets = bucketsOf(range);
    const rows: AgentPerformanceRow[] = [];
    for (const agent of agents) {
      const presence = intervalsOf(states.filter((s) => s.agent_id === agent.id), rangeEnd);
      const mine = work.filter((w) => w.agent_id === agent.id);
      const handling = union(mine.map((w) => ({ start: new Date(w.start), end: w.end ? new Date(w.end) : rangeEnd })));
      const wrapUp = union(mine.filter((w) => w.wrap_start).map((w) => ({ start: new Date(w.wrap_start!), end: w.end ? new Date(w.end) : rangeEnd })));
      // the same for every interval: worked out once per agent
      const availableSpans = presence.filter((p) => p.presence === 'available');
      const awaySpans = presence.filter((p) => p.presence === 'away');
      const offlineSpans = presence.filter((p) => p.presence === 'offline');
      // occupancy and utilisation count only the handling done inside the time they divide by
      const handlingWhileAvailable = intersect(handling, availableSpans);
      const handlingWhileSignedIn = intersect(handling, [...availableSpans, ...awaySpans]);
      const closedAt = closings.filter((c) => c.agent_id === agent.id).map((c) => new Date(c.at).getTime());
      for (const b of buckets) {
        const inBucket = (xs: Interval[]) => overlapSeconds(xs, b.start, b.end);
        const available = inBucket(availableSpans);
        const away = inBucket(awaySpans);
        const offline = inBucket(offlineSpans);
        const handlingSeconds = inBucket(handling);
        const handled = closedAt.filter((at) => at >= b.start.getTime() && at < b.end.getTime()).length;
        if (available + away + handlingSeconds === 0 && handled === 0) continue;
        rows.push({
          intervalStart: b.label,
          agent,
          availableSeconds: round(available),
          awaySeconds: round(away),
          offlineSeconds: round(offline),
          handlingSeconds: round(handlingSeconds),
          wrapUpSeconds: round(inBucket(wrapUp)),
          handled,
          occupancyPercent: available > 0 ? round((inBucket(handlingWhileAvailable) / available) * 100) : null,
          utilisationPercent: available + away > 0 ? round((inBucket(handlingWhileSignedIn) / (available + away)) * 100) : null,
        });
      }
    }
    return rows.sort((a, b) => Date.parse(a.intervalStart) - Date.parse(b.intervalStart) || a.agent.name.localeCompare(b.agent.name));
  }

  private async groupNames(groupBy: ReportGrouping): Promise<Map<string, string>> {
    if (groupBy === 'channel') return new Map();
    const rows: { id: string; name: string }[] =
      groupBy === 'queue' ? await this.db.query(`SELECT id, name FROM queues`) : await this.db.query(`SELECT id, name FROM users`);
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}

interface Interval {
  start: Date;
  end: Date;
}

/** The start of the interval a moment falls in, in the report's zone (days and hours as the zone's clock has them). */
function intervalStartOf(at: Date, range: Pick<ReportRange, 'interval' | 'timeZone'>): DateTime {
  const local = DateTime.fromJSDate(at, { zone: range.timeZone });
  if (range.interval === '1d') return local.startOf('day');
  if (range.interval === '1h') return local.startOf('hour');
  return local.startOf('hour').plus({ minutes: Math.floor(local.minute / 15) * 15 });
}

/**
 * When an accepted offer's hold on its contact ends: the contact closed, moved back to a queue
 * (cold transfer, requeue, reassignment), was abandoned, or a second agent took it (warm transfer).
 * Used with an accepted offer `o`.
 */
const HOLD_ENDS_AT = `(SELECT min(e.created_at) FROM contact_events e WHERE e.contact_id = o.contact_id AND e.created_at >= o.resolved_at
    AND (e.type IN ('closed', 'transferred', 'requeued', 'reassigned', 'abandoned')
         OR e.type = 'transfer_accepted' AND e.actor_id IS DISTINCT FROM o.agent_id))`;

/** The interval a moment falls in, labelled by its start in the report's zone. */
export function bucketStart(at: Date, range: Pick<ReportRange, 'interval' | 'timeZone'>): string {
  return intervalStartOf(at, range).toISO()!;
}

function bucketsOf(range: ReportRange): { label: string; start: Date; end: Date }[] {
  const step = range.interval === '1d' ? { days: 1 } : range.interval === '1h' ? { hours: 1 } : { minutes: 15 };
  const buckets: { label: string; start: Date; end: Date }[] = [];
  // stepped in the zone itself, so a day after a clock change still starts at local midnight
  let cursor = intervalStartOf(range.from, range);
  while (cursor.toJSDate() < range.to) {
    const next = cursor.plus(step);
    buckets.push({ label: cursor.toISO()!, start: new Date(Math.max(cursor.toMillis(), range.from.getTime())), end: new Date(Math.min(next.toMillis(), range.to.getTime())) });
    cursor = next;
    if (buckets.length > MAX_BUCKETS) throw new DomainError(ErrorCode.ValidationFailed, `the range has more than ${MAX_BUCKETS} intervals: choose a longer interval or a shorter range`);
  }
  return buckets;
}

function intervalsOf(changes: { presence: string; started_at: Date }[], end: Date): (Interval & { presence: string })[] {
  return changes.map((c, i) => ({ presence: c.presence, start: new Date(c.started_at), end: i + 1 < changes.length ? new Date(changes[i + 1].started_at) : end }));
}

/** Overlapping stretches merged: an agent on three chats at once is handling once, not three times. */
function union(xs: Interval[]): Interval[] {
  const sorted = xs.filter((x) => x.end > x.start).sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: Interval[] = [];
  for (const x of sorted) {
    const last = merged[merged.length - 1];
    if (last && x.start <= last.end) last.end = new Date(Math.max(last.end.getTime(), x.end.getTime()));
    else merged.push({ ...x });
  }
  return merged;
}

/** The parts of `xs` (merged, non-overlapping) that fall inside any of `within`. */
function intersect(xs: Interval[], within: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of xs) {
    for (const w of within) {
      const start = Math.max(x.start.getTime(), w.start.getTime());
      const end = Math.min(x.end.getTime(), w.end.getTime());
      if (end > start) out.push({ start: new Date(start), end: new Date(end) });
    }
  }
  return out;
}

function overlapSeconds(xs: Interval[], from: Date, to: Date): number {
  let ms = 0;
  for (const x of xs) ms += Math.max(0, Math.min(x.end.getTime(), to.getTime()) - Math.max(x.start.getTime(), from.getTime()));
  return ms / 1000;
}
