import type { Channel } from './domain';

/**
 * What changed, told to the routing leader by PostgreSQL NOTIFY from inside the transaction that
 * made the change, so the signal is delivered exactly when (and only if) the change commits.
 * Payloads stay small: the leader reads what it needs.
 * WARNING: these travel between processes of different versions during a deploy; add, never rename.
 */
export type RoutingSignal =
  /** a contact (or a warm transfer) waits for an agent, or its routing data changed: reload it */
  | { t: 'waiting'; c: string }
  /** a contact no longer waits (taken, abandoned, closed) */
  | { t: 'gone'; c: string }
  /** an agent's held count on a channel changed by d; `idle` when they became free of work */
  | { t: 'load'; a: string; ch: Channel; d: number; idle?: boolean }
  /** an agent's presence, skills, capacity or queues changed: reload them */
  | { t: 'agent'; a: string }
  /** a queue's policy or members changed: reload it */
  | { t: 'queue'; q: string }
  /** an offer was answered or withdrawn: stop its timer; `decline` keeps that agent off the contact for a while */
  | { t: 'offer_done'; o: string; c: string; a: string; decline?: boolean };

export const routingChannel = (queuePrefix: string) => `${queuePrefix}_routing`;
