import type { Client } from 'pg';
import { auditRouting } from '@cc/routing';

/** The routing invariants, checked from the durable record: the violations found (empty when sound). */
export async function routingViolations(db: Client): Promise<string[]> {
  const audit = await auditRouting(db);
  return [...audit.doubleAssigned, ...audit.capacityOverruns].slice(0, 10);
}

/**
 * Checks routing priority from the durable record: no contact was offered while a contact of
 * strictly higher priority in the same queue, eligible for that same agent, had been waiting
 * (committed as queued) for more than `graceMs` at the time of the offer. The grace covers the
 * delivery of the "a contact waits" signal to the matcher.
 *
 * A contact's priority is its queue's `priority_policy`: points for the customer's tier and the
 * channel, plus `agingPerMinute` per minute waited since `queued_at` (two contacts of one queue age
 * at the same rate, so their order does not depend on the instant compared). Waiting spans come from
 * `contact_events`: from each event that leaves the contact 'queued' to its next state change.
 * PostgreSQL keeps no commit times, so a span starts at the last write of the transaction that
 * queued the contact (its event, or the message it stored), a lower bound of the commit; under load
 * the commit can come hundreds of milliseconds later, so pass `committedAt` (contact id → the epoch
 * ms at which its "waiting" signals arrived, see signal-recorder.ts) to start spans at the observed
 * commit instead. Offers written in one statement (one matching pass) count as simultaneous.
 * Conservative about eligibility: a waiting contact already offered to that agent before (a decline
 * or a miss), or reserved for a preferred agent at the time, is not counted; nor are contacts that
 * moved between queues (overflow, transfer), whose queue at a given instant the contact row does not
 * tell. Returns the violations found (empty when sound).
 */
export async function priorityViolations(db: Client, graceMs: number, committedAt?: Map<string, number[]>): Promise<string[]> {
  const observed = [...(committedAt ?? new Map<string, number[]>()).entries()].flatMap(([id, times]) => times.map((t) => [id, t] as const));
  const { rows } = await db.query(
    `WITH policy AS (
       SELECT c.id, c.queue_id, c.queued_at, c.preferred_agent_id, c.preferred_until, cu.tier,
              COALESCE((q.priority_policy -> 'tiers' ->> cu.tier)::float8, 0)
                + COALESCE((q.priority_policy -> 'channels' ->> c.channel)::float8, 0) AS base,
              COALESCE((q.priority_policy ->> 'agingPerMinute')::float8, 0) AS aging
         FROM contacts c JOIN customers cu ON cu.id = c.customer_id JOIN queues q ON q.id = c.queue_id
        WHERE NOT EXISTS (SELECT 1 FROM contact_events e
                           WHERE e.contact_id = c.id AND e.type IN ('overflowed', 'transferred', 'transfer_requested'))),
     observed AS (
       SELECT contact_id, to_timestamp(at / 1000) AS at FROM unnest($2::uuid[], $3::float8[]) AS o(contact_id, at)),
     changes AS (
       SELECT e.id, e.contact_id, e.type, e.to_state, e.created_at, e.xmin::text AS tx, e.data,
              lead(e.created_at) OVER w AS next_at, lead(e.xmin::text) OVER w AS next_tx
         FROM contact_events e WHERE e.to_state IS NOT NULL
       WINDOW w AS (PARTITION BY e.contact_id ORDER BY e.id)),
     written AS (
       SELECT changes.*, GREATEST(created_at, (SELECT max(m.created_at) FROM messages m
                                               WHERE m.contact_id = changes.contact_id AND m.xmin::text = changes.tx)) AS last_write
         FROM changes WHERE to_state = 'queued'),
     waits AS (
       -- the first signal seen after the transaction's last write (millisecond clocks: a little slack)
       SELECT w.contact_id, w.next_at AS until_at, w.next_tx AS until_tx, GREATEST(w.last_write, min(s.at)) AS from_at
         FROM written w LEFT JOIN observed s ON s.contact_id = w.contact_id AND s.at >= w.last_write - interval '20 ms'
        GROUP BY w.id, w.contact_id, w.next_at, w.next_tx, w.last_write),
     offers AS (
       SELECT contact_id, created_at AS at, tx, (data ->> 'agentId')::uuid AS agent_id FROM changes WHERE type = 'offered')
     SELECT o.contact_id AS offered, px.tier AS offered_tier, o.at, o.agent_id,
            w.contact_id AS waiting, py.tier AS waiting_tier,
            round(extract(epoch FROM o.at - w.from_at) * 1000) AS waited_ms,
            count(*) OVER () AS total
       FROM offers o
       JOIN policy px ON px.id = o.contact_id
       JOIN waits w ON w.contact_id <> o.contact_id
                   AND w.from_at <= o.at - make_interval(secs => $1::float8 / 1000)
                   AND (w.until_at IS NULL OR (w.until_at > o.at AND w.until_tx <> o.tx))
       JOIN policy py ON py.id = w.contact_id AND py.queue_id = px.queue_id
      WHERE py.base - px.base + px.aging * extract(epoch FROM px.queued_at - py.queued_at) / 60 > 0
        AND NOT (py.preferred_agent_id IS NOT NULL AND py.preferred_until > o.at)
        AND NOT EXISTS (SELECT 1 FROM contact_offers d WHERE d.contact_id = py.id AND d.agent_id = o.agent_id AND d.created_at < o.at)
      ORDER BY o.at
      LIMIT 10`,
    [graceMs, observed.map(([id]) => id), observed.map(([, t]) => t)],
  );
  const problems = rows.map(
    (r) =>
      `contact ${r.offered} (${r.offered_tier}) was offered to agent ${r.agent_id} at ${r.at.toISOString()} ` +
      `while contact ${r.waiting} (${r.waiting_tier}) of higher priority in the same queue had waited ${r.waited_ms} ms`,
  );
  if (rows.length && Number(rows[0].total) > rows.length) problems.push(`… ${Number(rows[0].total) - rows.length} more such pairs`);
  return problems;
}
