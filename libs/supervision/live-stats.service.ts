import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DateTime } from 'luxon';
import type { ResolvedConfig } from '@cc/config';
import { type CalendarDefinition, isOpenAt } from '@cc/calendars';
import type { AgentLiveStats, AgentStatus, Channel, LiveSnapshot, QueueLiveStats } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { type ContactFacts, contactMetrics } from './metrics';

const TODAY_REFRESH_MS = 5000;
import { ReportsService } from './reports.service';

/** The agent's status as the desk shows it: busy when no channel has room, wrap_up while finishing a contact. */
const AGENT_STATUS_SQL = `CASE
  WHEN a.presence <> 'available' THEN a.presence
  WHEN EXISTS (SELECT 1 FROM contacts w WHERE w.agent_id = a.user_id AND w.state = 'wrap_up') THEN 'wrap_up'
  WHEN NOT EXISTS (SELECT 1 FROM agent_capacities ac WHERE ac.agent_id = a.user_id AND ac.load < ac.capacity) THEN 'busy'
  ELSE 'available' END`;

/**
 * The live picture supervisors watch, computed from PostgreSQL (so every API process reports the
 * same figures, and a restart loses none): per queue, what waits and who is serving, and today's
 * figures in the queue's time zone; per agent, their state and current contacts.
 */
@Injectable()
export class LiveStatsService {
  private today: { since: Date; at: number; facts: ContactFacts[] } | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reports: ReportsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async snapshot(now = new Date()): Promise<LiveSnapshot> {
    const [queues, agents] = await Promise.all([this.queues(now), this.agents(now)]);
    return { at: now.toISOString(), queues, agents };
  }

  async queues(now: Date): Promise<QueueLiveStats[]> {
    const queues: { id: string; name: string; calendar: CalendarDefinition | null }[] = await this.db.query(
      `SELECT q.id, q.name, cal.definition AS calendar FROM queues q LEFT JOIN calendars cal ON cal.id = q.calendar_id WHERE q.active ORDER BY q.name`,
    );
    const open: { queue_id: string; channel: Channel; state: string; n: number; oldest: Date | null }[] = await this.db.query(
      `SELECT queue_id, channel, state, count(*)::int AS n, min(queued_at) AS oldest FROM contacts
        WHERE state IN ('queued', 'offered', 'active', 'wrap_up') GROUP BY 1, 2, 3`,
    );
    const staffing: { queue_id: string; status: AgentStatus; n: number }[] = await this.db.query(
      `SELECT m.queue_id, ${AGENT_STATUS_SQL} AS status, count(*)::int AS n
         FROM queue_members m JOIN agents a ON a.user_id = m.agent_id JOIN users u ON u.id = a.user_id AND u.active GROUP BY 1, 2`,
    );
    // "today" starts at midnight in each queue's zone: load from the earliest of those midnights
    const zoneOf = (q: { calendar: CalendarDefinition | null }) => q.calendar?.timeZone ?? this.config.defaultTimeZone;
    const midnights = new Map(queues.map((q) => [q.id, DateTime.fromJSDate(now, { zone: zoneOf(q) }).startOf('day').toJSDate()]));
    const earliest = new Date(Math.min(now.getTime(), ...[...midnights.values()].map((d) => d.getTime())));
    const today = await this.todayFacts(earliest, now);
    return queues.map((q) => {
      const mine = open.filter((o) => o.queue_id === q.id);
      const waitingRows = mine.filter((o) => o.state === 'queued');
      const oldest = waitingRows.reduce<Date | null>((min, o) => (o.oldest && (!min || o.oldest < min) ? o.oldest : min), null);
      const m = contactMetrics(
        today.filter((c) => c.queueId === q.id && c.createdAt >= midnights.get(q.id)!),
        this.config.shortAbandonSeconds,
      );
      return {
        queueId: q.id,
        name: q.name,
        open: q.calendar ? isOpenAt(q.calendar, now) : true,
        timeZone: zoneOf(q),
        waitingByChannel: Object.fromEntries(waitingRows.map((o) => [o.channel, o.n])),
        waiting: waitingRows.reduce((n, o) => n + o.n, 0),
        longestWaitSeconds: oldest ? Math.round((now.getTime() - new Date(oldest).getTime()) / 1000) : null,
        offered: mine.filter((o) => o.state === 'offered').reduce((n, o) => n + o.n, 0),
        active: mine.filter((o) => o.state === 'active' || o.state === 'wrap_up').reduce((n, o) => n + o.n, 0),
        agentsByState: Object.fromEntries(staffing.filter((s) => s.queue_id === q.id).map((s) => [s.status, s.n])),
        today: {
          offered: m.offered,
          answered: m.answered,
          abandoned: m.abandoned,
          serviceLevelPercent: m.serviceLevelPercent,
          averageSpeedOfAnswerSeconds: m.averageSpeedOfAnswerSeconds,
          averageHandleTimeSeconds: m.averageHandleTimeSeconds,
        },
      };
    });
  }

  /**
   * Today's contacts, re-read at most every few seconds: the live feed asks every second, and the
   * day's figures need every contact of the day while only the counts above need to be instant.
   */
  private async todayFacts(since: Date, now: Date): Promise<ContactFacts[]> {
    const cached = this.today;
    if (cached && cached.since.getTime() === since.getTime() && now.getTime() - cached.at < TODAY_REFRESH_MS) return cached.facts;
    const facts = await this.reports.facts(since, new Date(now.getTime() + 1));
    this.today = { since, at: now.getTime(), facts };
    return facts;
  }

  async agents(now: Date): Promise<AgentLiveStats[]> {
    const midnight = DateTime.fromJSDate(now, { zone: this.config.defaultTimeZone }).startOf('day').toJSDate();
    const rows: any[] = await this.db.query(
      `SELECT u.id, u.name, a.presence, a.away_reason, a.presence_since, a.missed_offers, ${AGENT_STATUS_SQL} AS status,
              (SELECT max(c.updated_at) FROM contacts c WHERE c.agent_id = a.user_id) AS last_contact_change,
              COALESCE((SELECT json_agg(json_build_object('contactId', c.id, 'channel', c.channel, 'state', c.state, 'queueId', c.queue_id,
                                                          'since', COALESCE(c.answered_at, c.updated_at)) ORDER BY c.updated_at)
                          FROM contacts c WHERE c.agent_id = a.user_id), '[]') AS contacts,
              (SELECT count(*)::int FROM contact_events e WHERE e.type = 'closed' AND e.actor_type = 'agent' AND e.actor_id = a.user_id
                  AND e.created_at >= $1) AS handled_today
         FROM agents a JOIN users u ON u.id = a.user_id AND u.active ORDER BY u.name`,
      [midnight],
    );
    return rows.map((r) => ({
      agentId: r.id,
      name: r.name,
      status: r.status,
      // busy and wrap_up began with the latest change to the agent's contacts
      since: new Date(r.status === r.presence || !r.last_contact_change ? r.presence_since : r.last_contact_change).toISOString(),
      awayReason: r.away_reason,
      missedOffers: r.missed_offers,
      contacts: (r.contacts as { contactId: string; channel: Channel; state: any; queueId: string; since: string }[]).map((c) => ({
        contactId: c.contactId,
        channel: c.channel,
        state: c.state,
        queueId: c.queueId,
        ageSeconds: Math.round((now.getTime() - new Date(c.since).getTime()) / 1000),
      })),
      handledToday: r.handled_today,
    }));
  }
}
