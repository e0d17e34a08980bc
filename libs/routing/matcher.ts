import type { Channel } from '@cc/shared';

/** An offer the matcher made: the contact is reserved for the agent until they answer or it expires. */
export interface MadeOffer {
  offerId: string;
  contactId: string;
  agentId: string;
  queueId: string;
  channel: Channel;
  expiresAt: Date;
}

/**
 * The routing seam. A matcher pairs waiting contacts of a queue with eligible agents and records the
 * offers durably; it must be safe with any number of processes calling it at once (no contact offered
 * twice, no capacity exceeded). The simple SQL matcher does one transaction per contact; the full
 * engine (a single elected matcher working in batches) plugs in here.
 */
export interface Matcher {
  matchQueue(queueId: string): Promise<MadeOffer[]>;
}

export const MATCHER = Symbol('MATCHER');
