import type { Client } from 'pg';

/**
 * Checks the routing invariants from the durable record alone, for every contact and agent:
 * no contact offered to two agents at once, no contact accepted twice, no agent ever holding
 * more contacts of a channel than their capacity. Returns the violations found (empty when sound).
 */
export async function routingViolations(db: Client): Promise<string[]> {
  const problems: string[] = [];

  const overlapping = await db.query(
    `SELECT a.contact_id FROM contact_offers a JOIN contact_offers b
        ON a.contact_id = b.contact_id AND a.id < b.id
       AND tstzrange(a.created_at, COALESCE(a.resolved_at, 'infinity')) && tstzrange(b.created_at, COALESCE(b.resolved_at, 'infinity'))
     LIMIT 5`,
  );
  for (const r of overlapping.rows) problems.push(`contact ${r.contact_id} had two live offers at once`);

  const doubleAccepted = await db.query(
    `SELECT contact_id, count(*) AS n FROM contact_offers WHERE status = 'accepted' GROUP BY contact_id HAVING count(*) > 1 LIMIT 5`,
  );
  for (const r of doubleAccepted.rows) problems.push(`contact ${r.contact_id} accepted ${r.n} times`);

  // an agent holds a contact from its offer until the offer fails, or, once accepted, until the contact closes
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
      GROUP BY r.agent_id, r.channel, cap.capacity HAVING max(r.held) > cap.capacity LIMIT 5`,
  );
  for (const r of overruns.rows) problems.push(`agent ${r.agent_id} held ${r.peak} ${r.channel} contacts, capacity ${r.capacity}`);
  return problems;
}
