import type { Channel, Presence } from '@cc/shared';
import type { CalendarDefinition } from '@cc/calendars';

/**
 * A queue's routing policy. Stored as columns and jsonb on `queues`; see the README for each field.
 */
export interface QueuePolicy {
  id: string;
  name: string;
  active: boolean;
  channels: Channel[];
  /** skill → minimum level an agent needs */
  requiredSkills: Record<string, number>;
  priority: PriorityPolicy;
  serviceLevelSeconds: number;
  /** past this wait, the contact moves to the overflow queue (if any) */
  maxWaitSeconds: number | null;
  overflowQueueId: string | null;
  /** relaxation and overflow over time, in increasing afterSeconds */
  steps: RoutingStep[];
  /** a returning customer is offered to their last agent first, for this long */
  stickySeconds: number;
  memberIds: Set<string>;
  /** business hours; null: always open */
  calendar: CalendarDefinition | null;
  afterHours: AfterHoursPolicy;
  afterHoursMessage: string | null;
}

/**
 * What a contact arriving while its queue is closed (or reaching an after-hours step) does after the
 * automatic reply: wait in the queue until it opens, or move to another queue if that one is open now
 * (follow-the-sun; if it is closed too, the contact waits where it is); a caller may instead be asked
 * for a voicemail or offered a call back.
 */
export interface AfterHoursRule {
  /** voice only: voicemail (the caller is asked to leave a message) or callback (their place is kept, they are called back) */
  action: 'wait' | 'overflow' | 'voicemail' | 'callback';
  overflowQueueId?: string;
}
export type AfterHoursPolicy = Partial<Record<Channel, AfterHoursRule>>;

export interface PriorityPolicy {
  /** points by customer tier, e.g. { vip: 100 } */
  tiers?: Record<string, number>;
  /** points by channel, e.g. { voice: 20 } */
  channels?: Partial<Record<Channel, number>>;
  /** points gained per minute of waiting, so long waits rise */
  agingPerMinute?: number;
}

export interface RoutingStep {
  afterSeconds: number;
  /** replaces the minimum level of the named skills from this step on */
  requiredSkills?: Record<string, number>;
  /** from this step on, agents of these queues may take the contact too */
  addQueueIds?: string[];
  /**
   * at this step: move to the overflow queue; or apply the after-hours action: the queue's automatic
   * reply to the customer, then the overflow queue if there is one (otherwise the contact keeps waiting)
   */
  action?: 'overflow' | 'after_hours';
}

export interface AgentState {
  id: string;
  name: string;
  presence: Presence;
  skills: Record<string, number>;
  capacity: Record<Channel, number>;
  load: Record<Channel, number>;
  /** epoch ms the agent last received work or became available */
  idleSince: number;
  /** an active voice call blocks every other channel */
  voiceBlocksOthers: boolean;
}

/** Something waiting for an agent: a queued contact, or a warm transfer looking for its second agent. */
export interface WaitingItem {
  contactId: string;
  kind: 'contact' | 'transfer';
  queueId: string;
  channel: Channel;
  tier: string;
  customerId: string;
  /** epoch ms the customer started waiting */
  queuedAt: number;
  /** epoch ms it entered its current queue (steps count from here) */
  queueEnteredAt: number;
  /** offered only to this agent until preferredUntil (sticky routing, or a transfer to a named agent) */
  preferredAgentId: string | null;
  preferredUntil: number;
  /** a transfer to a named agent skips the queue's membership and skill checks */
  preferredDirect: boolean;
  /** agents who declined or missed it recently: agent → epoch ms until which they are skipped */
  excluded: Map<string, number>;
  /** the agent who holds it now (warm transfer), never offered it again */
  fromAgentId: string | null;
  /** the customer's address on the channel, to tell them their place in the queue */
  address?: string;
}

export interface CandidateView {
  agentId: string;
  idleSeconds: number;
  occupancy: number;
}

/** Why an agent was not eligible, counted per reason in the decision log. */
export type Ineligibility = 'not_available' | 'no_capacity' | 'voice_call' | 'missing_skill' | 'declined_recently' | 'holds_contact';

export interface Decision {
  contactId: string;
  kind: WaitingItem['kind'];
  agentId: string;
  channel: Channel;
  queueId: string;
  step: number;
  score: number;
  reason: string;
  /** the eligible agents in the order they ranked (the first won), at most a few */
  candidates: CandidateView[];
  ineligible: Partial<Record<Ineligibility, number>>;
}
