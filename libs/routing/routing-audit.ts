/** Anything with node-postgres's `query`: a Client or a Pool. */
interface Db {
  query(sql: string): Promise<{ rows: any[] }>;
}

export interface RoutingAudit {
  /** contacts offered to two agents at once, or accepted twice */
  doubleAssigned: string[];
  /** moments an agent held more contacts of a channel than their capacity */
  capacityOverruns: string[];
}

/**
 * Checks the routing invariants from the durable record alone, over every contact and agent, so a
 * test or a benchmark can prove them after the fact. An agent holds a contact from its offer until
 * the offer fails, or, once accepted, until the contact closes (for a warm transfer's first agent that
 * overstates the hold, so the check errs on the strict side).
 */
export async function auditRouting(db: Db): Promise<RoutingAudit> {
  const overlapping = await db.query(
    `SELECT DISTINCT a.contact_id FROM contact_offers a JOIN contact_offers b
        ON a.contact_id = b.contact_id AND a.id < b.id
       AND tstzrange(a.created_at, COALESCE(a.resolved_at, 'infinity')) && tstzrange(b.created_at, COALESCE(b.resolved_at, 'infinity'))`,
  );
  const doubleAccepted = await db.query(
    `SELECT contact_id, count(*) AS n FROM contact_offers WHERE status = 'accepted' AND kind = 'route' GROUP BY contact_id HAVING count(*) > 1`,
  );
  const overruns = await db.query(
    `WITH holds AS (
       SELECT o.agent_id, c.channel, o.created_at AS start_at,
              CASE WHEN o.status = 'accepted' THEN COALESCE(c.closed_at, 'infinity') ELSE COALESCE(o.resolved_at, 'infinity') END AS end_at
         FROM contact_offers o JOIN contacts c ON c.id = o.contact_id),
     steps AS (
       SELECT agent_id, channel, start_at AS at, 1 AS delta FROM holds
       UNION ALL SELECT agent_id, channel, end_at, -1 FROM holds WHERE end_at < 'infinity'),
     running AS (
       SELECT agent_id, channel, at,
              sum(delta) OVER (PARTITION BY agent_id, channel ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS held
         FROM steps)
     SELECT r.agent_id, r.channel, max(r.held) AS peak, cap.capacity
       FROM running r JOIN agent_capacities cap ON cap.agent_id = r.agent_id AND cap.channel = r.channel
      GROUP BY r.agent_id, r.channel, cap.capacity HAVING max(r.held) > cap.capacity`,
  );
  return {
    doubleAssigned: [
      ...overlapping.rows.map((r) => `contact ${r.contact_id} had two live offers at once`),
      ...doubleAccepted.rows.map((r) => `contact ${r.contact_id} accepted ${r.n} times`),
    ],
    capacityOverruns: overruns.rows.map((r) => `agent ${r.agent_id} held ${r.peak} ${r.channel} contacts, capacity ${r.capacity}`),
  };
}
