import type { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '@cc/platform';
import type { Channel, DeliveryStatus, OfferView } from '@cc/shared';
import { CONTACT_VIEW_COLUMNS, CONTACT_VIEW_JOIN, HISTORY_COLUMN, type OfferViewRow, toOfferView } from '../agent-views';
import type { AgentState, Decision, QueuePolicy, WaitingItem } from './routing-model';

type Queryable = Pick<EntityManager, 'query'>;

/** Reads the routing state from PostgreSQL, whole (on takeover) or in part (after a signal). */
export class RoutingStore {
  constructor(private readonly reofferCooldownMs: number) {}

  async queues(q: Queryable, ids: string[] | null): Promise<QueuePolicy[]> {
    const rows = await q.query(
      `SELECT q.id, q.name, q.active, q.channels, q.required_skills, q.priority_policy, q.service_level_seconds,
              q.max_wait_seconds, q.overflow_queue_id, q.steps, q.sticky_seconds, q.after_hours, q.after_hours_message,
              (SELECT definition FROM calendars cal WHERE cal.id = q.calendar_id) AS calendar,
              COALESCE(array_agg(m.agent_id) FILTER (WHERE m.agent_id IS NOT NULL), '{}') AS member_ids
         FROM queues q LEFT JOIN queue_members m ON m.queue_id = q.id
        WHERE $1::uuid[] IS NULL OR q.id = ANY($1) GROUP BY q.id`,
      [ids],
    );
    return rows.map((r: any) => ({
      id: r.id,
      name: r.name,
      active: r.active,
      channels: r.channels,
      requiredSkills: r.required_skills,
      priority: r.priority_policy,
      serviceLevelSeconds: r.service_level_seconds,
      maxWaitSeconds: r.max_wait_seconds,
      overflowQueueId: r.overflow_queue_id,
      steps: r.steps,
      stickySeconds: r.sticky_seconds,
      memberIds: new Set<string>(r.member_ids),
      calendar: r.calendar,
      afterHours: r.after_hours,
      afterHoursMessage: r.after_hours_message,
    }));
  }

  async agents(q: Queryable, ids: string[] | null): Promise<AgentState[]> {
    const rows = await q.query(
      `SELECT a.user_id AS id, u.name, CASE WHEN u.active THEN a.presence ELSE 'offline' END AS presence, a.skills,
              a.idle_since, a.voice_blocks_other_channels,
              jsonb_object_agg(c.channel, c.capacity) AS capacity, jsonb_object_agg(c.channel, c.load) AS load
         FROM agents a JOIN users u ON u.id = a.user_id JOIN agent_capacities c ON c.agent_id = a.user_id
        WHERE $1::uuid[] IS NULL OR a.user_id = ANY($1) GROUP BY a.user_id, u.name, u.active`,
      [ids],
    );
    return rows.map((r: any) => ({
      id: r.id,
      name: r.name,
      presence: r.presence,
      skills: r.skills,
      capacity: r.capacity as Record<Channel, number>,
      load: r.load as Record<Channel, number>,
      idleSince: new Date(r.idle_since).getTime(),
      voiceBlocksOthers: r.voice_blocks_other_channels,
    }));
  }

  /**
   * Contacts waiting for an agent, and warm transfers waiting for their second agent; `ids` limits
   * the read to those (an id missing from the answer no longer waits). The two forms are separate
   * statements, so the prepared plan for a few ids is an index lookup, never a scan of all contacts.
   */
  async waiting(q: DataSource | EntityManager, ids: string[] | null): Promise<WaitingItem[]> {
    const rows = await preparedQuery(
      q,
      `SELECT c.id, c.queue_id, c.channel, c.address, c.customer_id, cu.tier, c.queued_at, c.queue_entered_at,
              c.preferred_agent_id, c.preferred_until, c.preferred_direct, c.state, c.agent_id, c.pending_transfer,
              (SELECT COALESCE(json_agg(json_build_object('a', o.agent_id, 'r', o.resolved_at)), '[]')
                 FROM contact_offers o WHERE o.contact_id = c.id AND o.status IN ('rejected', 'expired')
                  AND o.resolved_at > now() - make_interval(secs => $1)) AS declines
         FROM contacts c JOIN customers cu ON cu.id = c.customer_id
        WHERE (c.state = 'queued' OR (c.state = 'active' AND c.pending_transfer IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'pending')
          ${ids === null ? '' : 'AND c.id = ANY($2)'}`,
      ids === null ? [this.reofferCooldownMs / 1000] : [this.reofferCooldownMs / 1000, ids],
    );
    return rows.map((r: any): WaitingItem => {
      const excluded = new Map<string, number>(
        (r.declines as { a: string; r: string }[]).map((d) => [d.a, new Date(d.r).getTime() + this.reofferCooldownMs]),
      );
      const base = {
        contactId: r.id,
        channel: r.channel,
        address: r.address,
        tier: r.tier,
        customerId: r.customer_id,
        queuedAt: new Date(r.queued_at).getTime(),
        excluded,
      };
      if (r.state === 'active') {
        const t = r.pending_transfer as { toQueueId?: string; toAgentId?: string; requestedAt: string };
        const requestedAt = new Date(t.requestedAt).getTime();
        return {
          ...base,
          kind: 'transfer',
          queueId: t.toQueueId ?? r.queue_id,
          queueEnteredAt: requestedAt,
          preferredAgentId: t.toAgentId ?? null,
          preferredUntil: t.toAgentId ? Number.MAX_SAFE_INTEGER : 0,
          preferredDirect: !!t.toAgentId,
          fromAgentId: r.agent_id,
        };
      }
      return {
        ...base,
        kind: 'contact',
        queueId: r.queue_id,
        queueEnteredAt: new Date(r.queue_entered_at).getTime(),
        preferredAgentId: r.preferred_agent_id,
        preferredUntil: r.preferred_until ? new Date(r.preferred_until).getTime() : 0,
        preferredDirect: r.preferred_direct,
        fromAgentId: null,
      };
    });
  }

  async pendingOffers(q: Queryable): Promise<{ id: string; contactId: string; expiresAt: number }[]> {
    const rows = await q.query(`SELECT id, contact_id, expires_at FROM contact_offers WHERE status = 'pending'`);
    return rows.map((r: any) => ({ id: r.id, contactId: r.contact_id, expiresAt: new Date(r.expires_at).getTime() }));
  }

  /**
   * Writes a matching pass's offers in one statement. A decision sticks only if its contact still
   * waits and its agent is still available; the rest are skipped and returned as not written.
   * The capacity CHECK constraint fails the whole statement if memory and database disagree.
   * Answers each written offer's view, ready to send to its agent, from the same statement.
   */
  async writeOffers(q: DataSource, decisions: (Decision & { offerId: string })[], offerTimeoutMs: number): Promise<Map<string, OfferView>> {
    if (decisions.length === 0) return new Map();
    const rows = await preparedQuery<OfferViewRow>(
      q,
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::jsonb[])
           AS t(offer_id, contact_id, agent_id, channel, step, kind, decision)
       ), ready AS (
         SELECT i.* FROM input i
           JOIN agents a ON a.user_id = i.agent_id AND a.presence = 'available'
           JOIN users u ON u.id = i.agent_id AND u.active
       ), routed AS (
         UPDATE contacts c SET state = 'offered', agent_id = r.agent_id, routing_step = r.step, updated_at = now()
           FROM ready r WHERE c.id = r.contact_id AND r.kind = 'contact' AND c.state = 'queued'
         RETURNING c.id
       ), transferring AS (
         SELECT c.id FROM ready r JOIN contacts c ON c.id = r.contact_id
          WHERE r.kind = 'transfer' AND c.state = 'active' AND c.pending_transfer IS NOT NULL AND c.agent_id <> r.agent_id
            AND NOT EXISTS (SELECT 1 FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'pending')
          FOR UPDATE OF c
       ), done AS (
         SELECT r.* FROM ready r WHERE r.contact_id IN (SELECT id FROM routed UNION ALL SELECT id FROM transferring)
       ), capacity AS (
         UPDATE agent_capacities ac SET load = ac.load + n.n
           FROM (SELECT agent_id, channel, count(*)::int AS n FROM done GROUP BY agent_id, channel) n
          WHERE ac.agent_id = n.agent_id AND ac.channel = n.channel
       ), offers AS (
         INSERT INTO contact_offers (id, contact_id, agent_id, status, kind, expires_at)
         SELECT offer_id, contact_id, agent_id, 'pending', CASE kind WHEN 'contact' THEN 'route' ELSE 'transfer' END,
                now() + make_interval(secs => $8) FROM done
       ), events AS (
         INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, reason, data)
         SELECT contact_id, CASE kind WHEN 'contact' THEN 'offered' ELSE 'transfer_offered' END,
                CASE kind WHEN 'contact' THEN 'queued' END, CASE kind WHEN 'contact' THEN 'offered' END,
                'system', decision ->> 'reason', decision || jsonb_build_object('offerId', offer_id, 'agentId', agent_id)
           FROM done
       )
       SELECT d.offer_id, now() + make_interval(secs => $8) AS expires_at, c.queued_at, ${CONTACT_VIEW_COLUMNS}, ${HISTORY_COLUMN}
         FROM done d JOIN contacts c ON c.id = d.contact_id ${CONTACT_VIEW_JOIN}`,
      [
        decisions.map((d) => d.offerId),
        decisions.map((d) => d.contactId),
        decisions.map((d) => d.agentId),
        decisions.map((d) => d.channel),
        decisions.map((d) => d.step),
        decisions.map((d) => d.kind),
        decisions.map((d) =>
          JSON.stringify({ reason: d.reason, step: d.step, score: d.score, queueId: d.queueId, candidates: d.candidates, ineligible: d.ineligible }),
        ),
        offerTimeoutMs / 1000,
      ],
    );
    return new Map(rows.map((r) => [r.offer_id, toOfferView(r)]));
  }

  /**
   * Applies the after-hours action once per contact: records it and stores the queue's automatic
   * reply. Returns the replies stored, to deliver.
   */
  async afterHours(q: Queryable, items: { contactId: string; text: string | null }[]): Promise<{ id: string; contact_id: string; body: string; created_at: Date; channel: string; address: string; delivery_status: DeliveryStatus | null }[]> {
    if (items.length === 0) return [];
    return q.query(
      `WITH due AS (
         SELECT c.id, c.channel, c.address, x.text
           FROM contacts c JOIN unnest($1::uuid[], $2::text[]) AS x(id, text) ON x.id = c.id
          WHERE c.state = 'queued'
            AND NOT EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_id = c.id AND e.type = 'after_hours_action')
       ), event AS (
         INSERT INTO contact_events (contact_id, type, actor_type, reason) SELECT id, 'after_hours_action', 'system', 'routing_step' FROM due
       ), reply AS (
         INSERT INTO messages (contact_id, direction, author_type, body, delivery_status)
         SELECT id, 'outbound', 'system', text, CASE WHEN channel IN ('sms', 'email') THEN 'pending' END FROM due WHERE text IS NOT NULL
         RETURNING id, contact_id, body, created_at, delivery_status
       )
       SELECT reply.*, due.channel, due.address FROM reply JOIN due ON due.id = reply.contact_id`,
      [items.map((i) => i.contactId), items.map((i) => i.text)],
    );
  }

  /**
   * Gives up warm transfers nobody took in time: the contact stays with its agent. Returns the
   * contacts and the agents to tell.
   */
  async expireTransfers(q: Queryable, contactIds: string[]): Promise<{ id: string; agent_id: string }[]> {
    if (contactIds.length === 0) return [];
    return q.query(
      `WITH failed AS (
         UPDATE contacts c SET pending_transfer = NULL, updated_at = now()
          WHERE c.id = ANY($1) AND c.state = 'active' AND c.pending_transfer IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'pending')
         RETURNING c.id, c.agent_id
       ), event AS (
         INSERT INTO contact_events (contact_id, type, actor_type, reason) SELECT id, 'transfer_failed', 'system', 'no_agent_in_time' FROM failed
       )
       SELECT id, agent_id FROM failed`,
      [contactIds],
    );
  }

  /** Moves contacts to their overflow queue; returns the ids moved. */
  async overflow(q: Queryable, moves: { contactId: string; from: string; to: string }[], reason: string): Promise<string[]> {
    if (moves.length === 0) return [];
    const rows = await q.query(
      `WITH moved AS (
         UPDATE contacts c SET queue_id = x.to_queue, queue_entered_at = now(), routing_step = 0, updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(id, from_queue, to_queue)
          WHERE c.id = x.id AND c.state = 'queued' AND c.queue_id = x.from_queue
         RETURNING c.id, x.from_queue, x.to_queue
       ), events AS (
         INSERT INTO contact_events (contact_id, type, actor_type, reason, data)
         SELECT id, 'overflowed', 'system', $4, jsonb_build_object('fromQueueId', from_queue, 'toQueueId', to_queue) FROM moved
       )
       SELECT id FROM moved`,
      [moves.map((m) => m.contactId), moves.map((m) => m.from), moves.map((m) => m.to), reason],
    );
    return rows.map((r: { id: string }) => r.id);
  }
}
