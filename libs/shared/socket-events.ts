import type { AuthorType, Channel, ContactState, DeliveryStatus, MessageDirection, Presence } from './domain';

/** Socket.io namespaces. Their protocols are documented in docs/sockets.md, event by event. */
export enum Namespace {
  Agents = '/agents',
  Webchat = '/webchat',
  Supervisors = '/supervisors',
}

export const agentRoom = (agentId: string) => `agent:${agentId}`;
export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
/** supervisors monitoring a contact (on /supervisors) */
export const monitorRoom = (contactId: string) => `monitor:${contactId}`;

export interface MessageView {
  id: string;
  contactId: string;
  direction: MessageDirection;
  author: { type: AuthorType; id: string | null; name: string | null };
  text: string;
  /** the id the sender gave it, echoed so a client can match its optimistic copy */
  clientMessageId: string | null;
  createdAt: string;
  /** email subject */
  subject?: string | null;
  /** sanitised HTML (email) */
  html?: string | null;
  /** the whole text as received, when `text` has the quoted history stripped */
  fullText?: string | null;
  attachments?: AttachmentView[];
  /** outbound SMS and email: where the message is */
  delivery?: DeliveryView | null;
}

export interface AttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** the content, through the API (authenticated) or at the provider; null when it was over the size limit */
  url: string | null;
}

export interface DeliveryView {
  status: DeliveryStatus;
  errorCode: string | null;
  error: string | null;
}

export interface CustomerSummary {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  tier: string;
  preferences: Record<string, unknown>;
  notes: string | null;
}

export interface PastContactSummary {
  id: string;
  channel: Channel;
  state: ContactState;
  queue: string;
  createdAt: string;
  closedAt: string | null;
  disposition: string | null;
  wrapUpNote: string | null;
  lastMessage: string | null;
}

export interface OfferView {
  offerId: string;
  contactId: string;
  channel: Channel;
  queue: { id: string; name: string };
  expiresAt: string;
  /** when the customer started waiting (the API received their message) */
  waitingSince: string;
  customer: CustomerSummary;
  /** the messages of this contact so far */
  messages: MessageView[];
  /** the customer's earlier contacts, newest first */
  history: PastContactSummary[];
}

export interface AgentContactView {
  contactId: string;
  channel: Channel;
  state: ContactState;
  queue: { id: string; name: string };
  customer: CustomerSummary;
  messages: MessageView[];
}

/** What an agent is doing: their chosen presence, or busy (no free capacity) or wrap_up (finishing a contact). */
export type AgentStatus = Presence | 'busy' | 'wrap_up';

export interface AgentStateView {
  agentId: string;
  name: string;
  presence: Presence;
  status: AgentStatus;
  awayReason: string | null;
  offers: OfferView[];
  contacts: AgentContactView[];
}

/** What the server emits on /agents. */
export interface AgentServerEvents {
  'agent:state': (state: AgentStateView) => void;
  offer: (offer: OfferView) => void;
  'offer:revoked': (e: { offerId: string; contactId: string; reason: 'timeout' | 'customer_left' | 'transfer_cancelled' | 'supervisor' }) => void;
  message: (m: MessageView) => void;
  typing: (e: { contactId: string; isTyping: boolean }) => void;
  'contact:state': (e: { contactId: string; state: ContactState; reason: string | null }) => void;
  'presence:changed': (e: { presence: Presence; awayReason: string | null }) => void;
  /** the contact is no longer this agent's: transferred away (cold, or warm once the second agent accepted) */
  'contact:released': (e: { contactId: string; reason: 'transferred' | 'requeued' | 'reassigned' }) => void;
  /** an outbound SMS or email changed delivery status (sent, delivered, failed with the reason) */
  'message:status': (e: { contactId: string; messageId: string; delivery: DeliveryView }) => void;
  /** a warm transfer to a named agent was not accepted: the contact stays with this agent */
  'transfer:failed': (e: { contactId: string; reason: 'not_accepted' }) => void;
}

export interface VisitorConversationView {
  contactId: string | null;
  state: ContactState | null;
  agentName: string | null;
  messages: MessageView[];
}

/** What the server emits on /webchat. */
export interface WebchatServerEvents {
  conversation: (c: VisitorConversationView) => void;
  message: (m: MessageView) => void;
  typing: (e: { isTyping: boolean }) => void;
  'conversation:state': (e: { contactId: string; state: ContactState; agentName: string | null }) => void;
  /** while waiting: place in the queue (1 is next) and estimated wait, null while there is no recent flow to estimate from */
  'queue:position': (e: { contactId: string; position: number; estimatedWaitSeconds: number | null }) => void;
}

/** Live figures of one queue, as supervisors see them. */
export interface QueueLiveStats {
  queueId: string;
  name: string;
  /** the queue's calendar says it is open now (no calendar: always) */
  open: boolean;
  timeZone: string;
  waitingByChannel: Partial<Record<Channel, number>>;
  waiting: number;
  /** seconds the longest-waiting contact has waited */
  longestWaitSeconds: number | null;
  offered: number;
  active: number;
  agentsByState: Partial<Record<AgentStatus, number>>;
  /** since midnight in the queue's time zone (see the README for each definition) */
  today: {
    offered: number;
    answered: number;
    abandoned: number;
    serviceLevelPercent: number | null;
    averageSpeedOfAnswerSeconds: number | null;
    averageHandleTimeSeconds: number | null;
  };
}

/** Live state of one agent, as supervisors see them. */
export interface AgentLiveStats {
  agentId: string;
  name: string;
  status: AgentStatus;
  since: string;
  awayReason: string | null;
  missedOffers: number;
  contacts: { contactId: string; channel: Channel; state: ContactState; queueId: string; ageSeconds: number }[];
  handledToday: number;
}

export interface LiveSnapshot {
  at: string;
  queues: QueueLiveStats[];
  agents: AgentLiveStats[];
}

/** What the server emits on /supervisors. */
export interface SupervisorServerEvents {
  snapshot: (s: LiveSnapshot) => void;
  'queue:stats': (q: QueueLiveStats) => void;
  'agent:stats': (a: AgentLiveStats) => void;
  /** a message on a contact this supervisor monitors (customer, agent, whisper or barge-in) */
  message: (m: MessageView) => void;
  'contact:state': (e: { contactId: string; state: ContactState; reason: string | null }) => void;
  /** an SMS or email reply on a monitored contact changed delivery status */
  'message:status': (e: { contactId: string; messageId: string; delivery: DeliveryView }) => void;
}
