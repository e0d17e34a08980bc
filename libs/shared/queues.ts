import type { Channel } from './domain';

/**
 * Queue names.
 * WARNING: these values name live queues in Redis or PostgreSQL. Renaming one strands every job in it.
 */
export enum QueueName {
  Inbound = 'inbound',
  Timers = 'timers',
}

/** A customer's message as a channel adapter hands it over, before we know the customer or the contact. */
export interface InboundMessageJob {
  channel: Channel;
  /** the customer's address on that channel: the visitor id for web chat, E.164 number, email address */
  address: string;
  /** the sender's own id for the message; with channel and address it makes the message idempotent */
  externalId: string;
  text: string;
  queueId: string;
  profile?: { name?: string; email?: string };
  /** when the API accepted it, epoch ms; the contact's queue time starts here */
  receivedAt: number;
}

export interface AgentDisconnectedJob {
  agentId: string;
}

export type SweepJob = Record<string, never>;

/**
 * Every job that exists, by stable name. A producer can only enqueue a job listed here, with its payload.
 * WARNING: job names are stored with queued jobs; never rename one.
 */
export interface JobPayloads {
  'inbound.message': InboundMessageJob;
  'timers.agent-disconnected': AgentDisconnectedJob;
  'timers.sweep': SweepJob;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  'inbound.message': QueueName.Inbound,
  'timers.agent-disconnected': QueueName.Timers,
  'timers.sweep': QueueName.Timers,
};
