import type { EntityManager } from 'typeorm';
import type { Channel, RoutingSignal } from '@cc/shared';

type Queryable = Pick<EntityManager, 'query'>;

/**
 * Gives back one unit of an agent's capacity on a channel, inside the caller's transaction. An agent
 * left holding nothing becomes idle now (longest idle goes first). Returns the signal for the leader.
 */
export async function releaseCapacity(m: Queryable, agentId: string, channel: Channel): Promise<RoutingSignal> {
  const [row] = await m.query(
    `WITH released AS (
       UPDATE agent_capacities SET load = load - 1 WHERE agent_id = $1 AND channel = $2 RETURNING agent_id
     ), still AS (
       SELECT COALESCE(sum(load), 0) - 1 AS held FROM agent_capacities WHERE agent_id = $1
     ), idle AS (
       UPDATE agents SET idle_since = now() WHERE user_id = $1 AND (SELECT held FROM still) = 0 RETURNING user_id
     )
     SELECT EXISTS (SELECT 1 FROM idle) AS idle`,
    [agentId, channel],
  );
  return { t: 'load', a: agentId, ch: channel, d: -1, idle: row.idle };
}
