import type { EntityManager } from 'typeorm';
import { type RoutingSignal, routingChannel } from '@cc/shared';

type Queryable = Pick<EntityManager, 'query'>;

/**
 * The same signal as an SQL expression, for a statement that changes and signals in one go.
 * `channel` is the parameter holding the channel name; `signalsJson` a json expression of the signal array.
 */
export const notifySql = (channel: string, signalsJson: string) =>
  `pg_notify(${channel}, json_build_object('x', txid_current()::text, 's', ${signalsJson})::text)`;

/**
 * Tells the routing leader what changed, from inside the caller's transaction: PostgreSQL delivers
 * the notification at commit, and not at all on rollback. The transaction id lets the leader skip
 * signals its last full reload already saw.
 */
export async function signalRouting(q: Queryable, queuePrefix: string, signals: RoutingSignal[]): Promise<void> {
  if (signals.length === 0) return;
  await q.query(`SELECT pg_notify($1, json_build_object('x', txid_current()::text, 's', $2::json)::text)`, [
    routingChannel(queuePrefix),
    JSON.stringify(signals),
  ]);
}
