import { randomUUID } from 'node:crypto';
import type { AgentClient } from './clients';

export interface SimulatedAgentOptions {
  /** how long the agent takes to accept an offer, ms (uniformly random in [min, max]) */
  acceptDelayMs: [number, number];
  /** how long the agent handles a contact before wrapping up, ms */
  handleMs: [number, number];
  /** reply to the customer before wrapping up */
  reply?: boolean;
}

const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An agent that takes every offer: accepts after a short delay, optionally replies, then ends and
 * wraps up the contact. Records what happened so a test can check it.
 */
export function simulateAgent(agent: AgentClient, opts: SimulatedAgentOptions) {
  const stats = { offers: 0, accepted: 0, acceptFailed: 0, closed: 0, errors: [] as string[] };
  let stopped = false;
  agent.socket.on('offer', async (offer: { offerId: string; contactId: string }) => {
    stats.offers++;
    await sleep(between(opts.acceptDelayMs));
    if (stopped) return;
    const accepted = await agent.ack('offer:accept', { offerId: offer.offerId });
    if (!accepted.ok) {
      stats.acceptFailed++;
      return;
    }
    stats.accepted++;
    await sleep(between(opts.handleMs));
    if (opts.reply) {
      const sent = await agent.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: 'All sorted.' });
      if (!sent.ok) stats.errors.push(`reply: ${sent.error.code}`);
    }
    const ended = await agent.ack('contact:end', { contactId: offer.contactId });
    if (!ended.ok) stats.errors.push(`end: ${ended.error.code}`);
    const closed = await agent.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' });
    if (closed.ok) stats.closed++;
    else stats.errors.push(`wrapup: ${closed.error.code}`);
  });
  return {
    stats,
    stop: () => {
      stopped = true;
    },
  };
}
