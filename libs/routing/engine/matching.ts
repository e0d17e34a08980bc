import type { Channel } from '@cc/shared';
import type { AgentState, Decision, Ineligibility, QueuePolicy, WaitingItem } from './routing-model';

/** How many ranked candidates the decision log keeps per decision. */
const LOGGED_CANDIDATES = 5;

/** The step a waiting item is at: 0 is the queue's base policy, n is steps[n-1]. */
export function currentStep(queue: QueuePolicy, item: WaitingItem, now: number): number {
  const waited = (now - item.queueEnteredAt) / 1000;
  let step = 0;
  queue.steps.forEach((s, i) => {
    if (waited >= s.afterSeconds) step = i + 1;
  });
  return step;
}

/** The skills required and the queues whose agents may answer, at a step (steps accumulate). */
export function requirementsAt(queue: QueuePolicy, step: number): { skills: Record<string, number>; poolQueueIds: string[] } {
  const skills = { ...queue.requiredSkills };
  const pool = new Set([queue.id]);
  for (const s of queue.steps.slice(0, step)) {
    Object.assign(skills, s.requiredSkills ?? {});
    for (const q of s.addQueueIds ?? []) pool.add(q);
  }
  return { skills, poolQueueIds: [...pool] };
}

/** Priority at an instant: tier and channel points, plus points for every minute waited. */
export function priorityScore(queue: QueuePolicy, item: WaitingItem, now: number): number {
  const p = queue.priority;
  const waitedMinutes = Math.max(0, now - item.queuedAt) / 60_000;
  return (p.tiers?.[item.tier] ?? 0) + (p.channels?.[item.channel] ?? 0) + (p.agingPerMinute ?? 0) * waitedMinutes;
}

/** Whether the item should leave its queue for the overflow queue now. */
export function dueForOverflow(queue: QueuePolicy, item: WaitingItem, now: number): boolean {
  if (!queue.overflowQueueId || item.kind !== 'contact') return false;
  const waited = (now - item.queueEnteredAt) / 1000;
  if (queue.maxWaitSeconds !== null && waited >= queue.maxWaitSeconds) return true;
  const step = currentStep(queue, item, now);
  return queue.steps.slice(0, step).some((s) => s.action === 'overflow' || s.action === 'after_hours');
}

/** Whether a step the item has reached applies the queue's after-hours action (an automatic reply). */
export function dueForAfterHours(queue: QueuePolicy, item: WaitingItem, now: number): boolean {
  if (item.kind !== 'contact') return false;
  return queue.steps.slice(0, currentStep(queue, item, now)).some((s) => s.action === 'after_hours');
}

/** A queue's business hours at the pass: open now, and since when (null: no calendar, or closed). */
export interface QueueHours {
  open: boolean;
  openedAt: number | null;
}

export const hasFreeCapacity = (a: AgentState) =>
  a.presence === 'available' && (Object.keys(a.capacity) as Channel[]).some((ch) => canTakeChannel(a, ch));

function canTakeChannel(a: AgentState, ch: Channel): boolean {
  if ((a.load[ch] ?? 0) >= (a.capacity[ch] ?? 0)) return false;
  return !(ch !== 'voice' && a.voiceBlocksOthers && (a.load.voice ?? 0) > 0);
}

function occupancy(a: AgentState): number {
  const cap = Object.values(a.capacity).reduce((s, n) => s + n, 0);
  const load = Object.values(a.load).reduce((s, n) => s + n, 0);
  return cap === 0 ? 1 : load / cap;
}

/** Why this agent cannot take this item now, or null when they can. */
function ineligibility(a: AgentState, item: WaitingItem, skills: Record<string, number>, checkSkills: boolean, now: number): Ineligibility | null {
  if (a.presence !== 'available') return 'not_available';
  if (item.fromAgentId === a.id) return 'holds_contact';
  if ((item.excluded.get(a.id) ?? 0) > now) return 'declined_recently';
  if ((a.load[item.channel] ?? 0) >= (a.capacity[item.channel] ?? 0)) return 'no_capacity';
  if (!canTakeChannel(a, item.channel)) return 'voice_call';
  if (checkSkills) for (const [skill, min] of Object.entries(skills)) if ((a.skills[skill] ?? 0) < min) return 'missing_skill';
  return null;
}

const holdsNothing = (a: AgentState) => Object.values(a.load).every((n) => n === 0);

/**
 * Agents with no contact at all come first, longest idle first; then agents already working, least
 * occupied first; then a stable tiebreak.
 */
const byRank = (a: AgentState, b: AgentState) => {
  const freeA = holdsNothing(a);
  const freeB = holdsNothing(b);
  if (freeA !== freeB) return freeA ? -1 : 1;
  if (freeA) return a.idleSince - b.idleSince || (a.id < b.id ? -1 : 1);
  return occupancy(a) - occupancy(b) || a.idleSince - b.idleSince || (a.id < b.id ? -1 : 1);
};

interface Candidate {
  item: WaitingItem;
  queue: QueuePolicy;
  heldOver: boolean;
  score: number;
}

/** Which of two waiting items is offered first: held over a closure (oldest first), then priority, then arrival. */
const offeredBefore = (a: Candidate, b: Candidate): boolean => {
  if (a.heldOver !== b.heldOver) return a.heldOver;
  if (a.heldOver && a.item.queuedAt !== b.item.queuedAt) return a.item.queuedAt < b.item.queuedAt;
  if (a.score !== b.score) return a.score > b.score;
  if (a.item.queuedAt !== b.item.queuedAt) return a.item.queuedAt < b.item.queuedAt;
  return a.item.contactId < b.item.contactId;
};

/**
 * The candidates in the order they are offered, produced lazily from a binary heap built in the array
 * given (which it empties). A pass usually stops after a few items, once the free agents are taken,
 * while an overloaded center's backlog can be thousands: sorting all of it on every pass was a
 * quarter of the worker's time at 500 contacts/s on a slow machine (README, Performance). Building
 * the heap is O(n), and each item taken O(log n).
 */
function* inPriorityOrder(heap: Candidate[]): Generator<Candidate> {
  const siftDown = (from: number) => {
    for (let i = from; ; ) {
      const left = 2 * i + 1;
      if (left >= heap.length) return;
      const child = left + 1 < heap.length && offeredBefore(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!offeredBefore(heap[child], heap[i])) return;
      [heap[i], heap[child]] = [heap[child], heap[i]];
      i = child;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  while (heap.length > 0) {
    const first = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      siftDown(0);
    }
    yield first;
  }
}

/**
 * One matching pass. Waiting items are taken in priority order; each goes to the best eligible agent:
 * available, free capacity on its channel, the skills its step requires, longest idle then least
 * occupied. An item no agent can take is passed over, so it does not hold back those behind it.
 *
 * Mutates the agents it assigns to (their load), so the next item sees their new state; the
 * caller writes the decisions and undoes those that did not stick.
 */
export function matchWaiting(
  queues: Map<string, QueuePolicy>,
  agents: Map<string, AgentState>,
  waiting: Iterable<WaitingItem>,
  now: number,
  hours: Map<string, QueueHours> = new Map(),
): Decision[] {
  const free = new Set([...agents.values()].filter(hasFreeCapacity));
  if (free.size === 0) return [];
  const candidates: Candidate[] = [];
  for (const item of waiting) {
    const queue = queues.get(item.queueId);
    const queueHours = hours.get(item.queueId);
    // a closed queue's contacts wait for it to open
    if (!queue || queueHours?.open === false) continue;
    // those that waited through a closure go first, in their order
    const heldOver = queueHours?.openedAt != null && item.queuedAt < queueHours.openedAt;
    candidates.push({ item, queue, heldOver, score: priorityScore(queue, item, now) });
  }

  // what a queue's step requires, and its pool of agents, once per pass rather than once per contact
  const requirements = new Map<string, { skills: Record<string, number>; pool: Set<string> }>();
  const requirementsOf = (queue: QueuePolicy, step: number) => {
    const key = `${queue.id}\u0000${step}`;
    let found = requirements.get(key);
    if (!found) {
      const { skills, poolQueueIds } = requirementsAt(queue, step);
      found = { skills, pool: new Set(poolQueueIds.flatMap((q) => [...(queues.get(q)?.memberIds ?? [])])) };
      requirements.set(key, found);
    }
    return found;
  };

  const decisions: Decision[] = [];
  for (const { item, queue, score } of inPriorityOrder(candidates)) {
    if (free.size === 0) break;
    const step = currentStep(queue, item, now);
    const { skills, pool } = requirementsOf(queue, step);

    let eligible: AgentState[];
    let reason: string;
    const preferred = item.preferredAgentId && now < item.preferredUntil ? agents.get(item.preferredAgentId) : undefined;
    const why = preferred ? ineligibility(preferred, item, skills, !item.preferredDirect, now) : null;
    // the customer's last agent is worth waiting for only while they are merely full; a named transfer target always is
    const worthWaiting = preferred && (item.preferredDirect || (pool.has(preferred.id) && (why === null || why === 'no_capacity' || why === 'voice_call')));
    if (preferred && worthWaiting) {
      // a named agent (transfer) or the customer's last agent (sticky) gets the first chance; the item waits for them
      eligible = why === null ? [preferred] : [];
      reason = item.preferredDirect ? 'transfer_to_named_agent' : 'sticky_last_agent';
    } else {
      eligible = [...free].filter((a) => pool.has(a.id) && ineligibility(a, item, skills, true, now) === null);
      reason = 'longest_idle_then_least_occupied';
    }
    if (eligible.length === 0) continue;
    eligible.sort(byRank);
    const winner = eligible[0];

    const ineligible: Partial<Record<Ineligibility, number>> = {};
    for (const id of pool) {
      const a = agents.get(id);
      const why = a ? ineligibility(a, item, skills, true, now) : 'not_available';
      if (why) ineligible[why] = (ineligible[why] ?? 0) + 1;
    }
    decisions.push({
      contactId: item.contactId,
      kind: item.kind,
      agentId: winner.id,
      channel: item.channel,
      queueId: item.queueId,
      step,
      score: Math.round(score * 100) / 100,
      reason,
      candidates: eligible.slice(0, LOGGED_CANDIDATES).map((a) => ({
        agentId: a.id,
        idleSeconds: Math.round((now - a.idleSince) / 100) / 10,
        occupancy: Math.round(occupancy(a) * 100) / 100,
      })),
      ineligible,
    });
    winner.load[item.channel] = (winner.load[item.channel] ?? 0) + 1;
    if (!hasFreeCapacity(winner)) free.delete(winner);
  }
  return decisions;
}
