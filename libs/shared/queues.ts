import type { Channel } from './domain';

/**
 * Queue names.
 * WARNING: these values name live queues in Redis or PostgreSQL. Renaming one strands every job in it.
 */
export enum QueueName {
  Inbound = 'inbound',
  Timers = 'timers',
  Outbound = 'outbound',
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
  /** our side: the number or mailbox the customer wrote to; replies go out from it */
  channelAddress?: string;
  /** the provider's id for the message (Twilio MessageSid, the email's Message-ID) */
  providerMessageId?: string;
  /** what a message carries beyond its text (SMS media, email subject, HTML and attachments) */
  content?: InboundContent;
  /** email only: how the message names the conversation it replies to */
  thread?: { contactToken: string | null; references: string[] };
  /**
   * joins the customer's open contact but never opens one (SMS compliance keywords: STOP on its own
   * is not a conversation to route)
   */
  joinOnly?: boolean;
}

export interface InboundContent {
  subject?: string;
  /** sanitised HTML */
  html?: string | null;
  /** the whole text when `text` is a shortened form (email with its quoted history stripped) */
  fullText?: string;
  attachments?: InboundAttachment[];
}

export interface InboundAttachment {
  filename: string;
  contentType: string;
  size: number;
  /** null when over the size limit, or when the provider keeps the file at url */
  contentBase64: string | null;
  url?: string;
}

/** A delivery status notification for an email we sent. */
export interface EmailBounceJob {
  originalMessageId: string;
  recipient: string | null;
  status: string | null;
  diagnostic: string | null;
}

/** A call's contact: ring the agent who accepted it (bridge), take the caller back to hold (requeued), or end the call (hangup). */
export interface BridgeCallJob {
  contactId: string;
}

/** A waiting caller whose queue is closed (or who reached an after-hours step): told so, then voicemail or a call back. */
export interface VoiceAfterHoursJob {
  contactId: string;
  text: string | null;
  action: 'voicemail' | 'callback';
}

/** Sends one stored outbound message (SMS or email) through its channel's provider. */
export interface DeliverMessageJob {
  messageId: string;
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
  'inbound.email-bounce': EmailBounceJob;
  'outbound.deliver': DeliverMessageJob;
  'voice.bridge': BridgeCallJob;
  'voice.requeued': BridgeCallJob;
  'voice.after-hours': VoiceAfterHoursJob;
  'voice.hangup': BridgeCallJob;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { [N in JobName]: QueueName } = {
  'inbound.message': QueueName.Inbound,
  'timers.agent-disconnected': QueueName.Timers,
  'timers.sweep': QueueName.Timers,
  'inbound.email-bounce': QueueName.Inbound,
  'outbound.deliver': QueueName.Outbound,
  'voice.bridge': QueueName.Outbound,
  'voice.requeued': QueueName.Outbound,
  'voice.after-hours': QueueName.Outbound,
  'voice.hangup': QueueName.Outbound,
};
