import type { Channel } from '@cc/shared';
import { currentStep, dueForAfterHours, dueForOverflow, matchWaiting, priorityScore, requirementsAt } from './matching';
import type { AgentState, QueuePolicy, WaitingItem } from './routing-model';

const NOW = 1_800_000_000_000;

function queue(over: Partial<QueuePolicy> = {}): QueuePolicy {
  return {
    id: 'support',
    name: 'Support',
    active: true,
    channels: ['chat', 'sms', 'email', 'voice'],
    requiredSkills: {},
    priority: {},
    serviceLevelSeconds: 20,
    maxWaitSeconds: null,
    overflowQueueId: null,
    steps: [],
    stickySeconds: 0,
    memberIds: new Set(),
    calendar: null,
    afterHours: {},
    afterHoursMessage: null,
    ...over,
  };
}

function agent(id: string, over: Partial<AgentState> = {}): AgentState {
  return {
    id,
    name: id,
    presence: 'available',
    skills: {},
    capacity: { voice: 1, chat: 3, sms: 3, email: 5 },
    load: { voice: 0, chat: 0, sms: 0, email: 0 },
    idleSince: NOW - 60_000,
    voiceBlocksOthers: true,
    ...over,
  };
}

function item(contactId: string, over: Partial<WaitingItem> = {}): WaitingItem {
  return {
    contactId,
    kind: 'contact',
    queueId: 'support',
    channel: 'chat',
    tier: 'standard',
    customerId: `cust-${contactId}`,
    queuedAt: NOW - 10_000,
    queueEnteredAt: NOW - 10_000,
    preferredAgentId: null,
    preferredUntil: 0,
    preferredDirect: false,
    excluded: new Map(),
    fromAgentId: null,
    ...over,
  };
}

function setup(agents: AgentState[], queues: QueuePolicy[] = [queue()]) {
  for (const q of queues) if (q.memberIds.size === 0 && q.id === 'support') agents.forEach((a) => q.memberIds.add(a.id));
  return { queues: new Map(queues.map((q) => [q.id, q])), agents: new Map(agents.map((a) => [a.id, a])) };
}

describe('matchWaiting', () => {
  it('offers to the longest-idle agent holding nothing, then to the least occupied of those working', () => {
    const { queues, agents } = setup([
      agent('recent', { idleSince: NOW - 1_000 }),
      agent('longest', { idleSince: NOW - 90_000 }),
      agent('two-chats', { idleSince: NOW - 95_000, load: { voice: 0, chat: 2, sms: 0, email: 0 } }),
      agent('one-chat', { idleSince: NOW - 5_000, load: { voice: 0, chat: 1, sms: 0, email: 0 } }),
    ]);
    const [d] = matchWaiting(queues, agents, [item('c1')], NOW);
    expect(d).toMatchObject({ contactId: 'c1', agentId: 'longest', step: 0, reason: 'longest_idle_then_least_occupied' });
    expect(d.candidates.map((c) => c.agentId)).toEqual(['longest', 'recent', 'one-chat', 'two-chats']);
    expect(agents.get('longest')!.load.chat).toBe(1);
  });

  it('never exceeds an agent capacity on a channel, and leaves the rest waiting', () => {
    const { queues, agents } = setup([agent('a', { capacity: { voice: 1, chat: 2, sms: 3, email: 5 } })]);
    const decisions = matchWaiting(queues, agents, ['c1', 'c2', 'c3'].map((id, i) => item(id, { queuedAt: NOW - 10_000 + i })), NOW);
    expect(decisions.map((d) => d.contactId)).toEqual(['c1', 'c2']);
    expect(agents.get('a')!.load.chat).toBe(2);
  });

  it('takes contacts in priority order: tier and channel points, then ageing, then arrival', () => {
    const q = queue({ priority: { tiers: { vip: 100 }, channels: { voice: 20 }, agingPerMinute: 1 } });
    const { queues, agents } = setup([agent('a', { capacity: { voice: 0, chat: 1, sms: 0, email: 0 } })], [q]);
    const waiting = [
      item('old-standard', { queuedAt: NOW - 30 * 60_000 }), // 30 points from ageing
      item('new-vip', { tier: 'vip', queuedAt: NOW - 1_000 }),
      item('older-standard', { queuedAt: NOW - 31 * 60_000 }),
    ];
    expect(matchWaiting(queues, agents, waiting, NOW).map((d) => d.contactId)).toEqual(['new-vip']);
    expect(priorityScore(q, waiting[0], NOW)).toBeCloseTo(30);
    expect(priorityScore(q, item('v', { channel: 'voice', tier: 'vip', queuedAt: NOW }), NOW)).toBe(120);
  });

  it('does not let a contact nobody can take block those behind it', () => {
    const q = queue({ requiredSkills: {} });
    const { queues, agents } = setup([agent('chat-only', { capacity: { voice: 0, chat: 3, sms: 0, email: 0 } })], [q]);
    const waiting = [item('email-first', { channel: 'email', queuedAt: NOW - 50_000 }), item('chat-second')];
    expect(matchWaiting(queues, agents, waiting, NOW).map((d) => d.contactId)).toEqual(['chat-second']);
  });

  it('requires skill levels, and relaxes them at a later step, recording the step', () => {
    const q = queue({ requiredSkills: { billing: 4 }, steps: [{ afterSeconds: 30, requiredSkills: { billing: 2 } }] });
    const { queues, agents } = setup([agent('junior', { skills: { billing: 2 } })], [q]);
    const young = item('young', { queueEnteredAt: NOW - 10_000 });
    expect(matchWaiting(queues, agents, [young], NOW)).toEqual([]);
    const old = item('old', { queueEnteredAt: NOW - 31_000 });
    const [d] = matchWaiting(queues, agents, [old], NOW);
    expect(d).toMatchObject({ contactId: 'old', agentId: 'junior', step: 1 });
  });

  it('widens the pool to another queue’s agents at an overflow step', () => {
    const support = queue({ id: 'support', memberIds: new Set(['s1']), steps: [{ afterSeconds: 90, addQueueIds: ['sales'] }] });
    const sales = queue({ id: 'sales', name: 'Sales', memberIds: new Set(['sales1']) });
    const { queues, agents } = setup([agent('s1', { presence: 'away' }), agent('sales1')], [support, sales]);
    expect(matchWaiting(queues, agents, [item('c', { queueEnteredAt: NOW - 60_000 })], NOW)).toEqual([]);
    const [d] = matchWaiting(queues, agents, [item('c', { queueEnteredAt: NOW - 95_000 })], NOW);
    expect(d).toMatchObject({ agentId: 'sales1', step: 1, ineligible: { not_available: 1 } });
    expect(requirementsAt(support, 1).poolQueueIds).toEqual(['support', 'sales']);
  });

  it('offers a returning customer to their last agent first, waiting for them within the window', () => {
    const { queues, agents } = setup([agent('last', { idleSince: NOW - 1, capacity: { voice: 1, chat: 1, sms: 3, email: 5 }, load: { voice: 0, chat: 1, sms: 0, email: 0 } }), agent('other')]);
    const sticky = item('c', { preferredAgentId: 'last', preferredUntil: NOW + 10_000 });
    expect(matchWaiting(queues, agents, [sticky], NOW)).toEqual([]); // last agent is full: wait for them
    agents.get('last')!.load.chat = 0;
    expect(matchWaiting(queues, agents, [sticky], NOW)[0]).toMatchObject({ agentId: 'last', reason: 'sticky_last_agent' });
    const expired = item('c2', { preferredAgentId: 'last', preferredUntil: NOW - 1 });
    expect(matchWaiting(queues, agents, [expired], NOW)[0].agentId).toBe('other');
  });

  it('skips stickiness at once when the last agent could not take it anyway (declined it, lacks a skill)', () => {
    const { queues, agents } = setup([agent('last'), agent('other', { idleSince: NOW })]);
    const declined = item('c', { preferredAgentId: 'last', preferredUntil: NOW + 10_000, excluded: new Map([['last', NOW + 5_000]]) });
    expect(matchWaiting(queues, agents, [declined], NOW)[0].agentId).toBe('other');
  });

  it('skips stickiness at once when the last agent is not available', () => {
    const { queues, agents } = setup([agent('last', { presence: 'offline' }), agent('other')]);
    const sticky = item('c', { preferredAgentId: 'last', preferredUntil: NOW + 10_000 });
    expect(matchWaiting(queues, agents, [sticky], NOW)[0].agentId).toBe('other');
  });

  it('gives a transfer to a named agent straight to them, even outside the queue and its skills', () => {
    const q = queue({ requiredSkills: { billing: 5 }, memberIds: new Set(['member']) });
    const { queues, agents } = setup([agent('member', { skills: { billing: 5 } }), agent('named')], [q]);
    const t = item('c', { kind: 'transfer', preferredAgentId: 'named', preferredUntil: NOW + 30_000, preferredDirect: true, fromAgentId: 'member' });
    expect(matchWaiting(queues, agents, [t], NOW)[0]).toMatchObject({ agentId: 'named', reason: 'transfer_to_named_agent', kind: 'transfer' });
  });

  it('never offers a warm transfer back to the agent who holds it, nor to an agent who just declined', () => {
    const { queues, agents } = setup([agent('holder', { idleSince: NOW - 99_000 }), agent('decliner', { idleSince: NOW - 98_000 }), agent('third')]);
    const t = item('c', { kind: 'transfer', fromAgentId: 'holder', excluded: new Map([['decliner', NOW + 5_000]]) });
    const [d] = matchWaiting(queues, agents, [t], NOW);
    expect(d.agentId).toBe('third');
    expect(d.ineligible).toEqual({ holds_contact: 1, declined_recently: 1 });
  });

  it('lets an active voice call block other channels when the agent is set so', () => {
    const onCall = { voice: 1, chat: 0, sms: 0, email: 0 } as Record<Channel, number>;
    const { queues, agents } = setup([agent('blocked', { load: { ...onCall }, idleSince: NOW - 99_000 }), agent('free', { idleSince: NOW })]);
    expect(matchWaiting(queues, agents, [item('c')], NOW)[0].agentId).toBe('free');
    agents.get('blocked')!.voiceBlocksOthers = false;
    agents.get('free')!.presence = 'away';
    expect(matchWaiting(queues, agents, [item('c2')], NOW)[0].agentId).toBe('blocked');
  });
});

describe('steps and overflow', () => {
  it('finds the current step from the time in the queue', () => {
    const q = queue({ steps: [{ afterSeconds: 30 }, { afterSeconds: 90 }, { afterSeconds: 300, action: 'after_hours' }] });
    expect([0, 29, 30, 89, 90, 301].map((s) => currentStep(q, item('c', { queueEnteredAt: NOW - s * 1000 }), NOW))).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it('applies the after-hours action from its step on, and overflows with it only when an overflow queue is set', () => {
    const q = queue({ steps: [{ afterSeconds: 300, action: 'after_hours' }] });
    expect(dueForAfterHours(q, item('c', { queueEnteredAt: NOW - 299_000 }), NOW)).toBe(false);
    expect(dueForAfterHours(q, item('c', { queueEnteredAt: NOW - 301_000 }), NOW)).toBe(true);
    expect(dueForAfterHours(q, item('t', { kind: 'transfer', queueEnteredAt: NOW - 301_000 }), NOW)).toBe(false);
    expect(dueForOverflow(q, item('c', { queueEnteredAt: NOW - 301_000 }), NOW)).toBe(false);
    expect(dueForOverflow({ ...q, overflowQueueId: 'night' }, item('c', { queueEnteredAt: NOW - 301_000 }), NOW)).toBe(true);
  });

  it('is due for overflow past the maximum wait or at an overflow step, only with an overflow queue', () => {
    const q = queue({ maxWaitSeconds: 120, overflowQueueId: 'sales' });
    expect(dueForOverflow(q, item('c', { queueEnteredAt: NOW - 119_000 }), NOW)).toBe(false);
    expect(dueForOverflow(q, item('c', { queueEnteredAt: NOW - 121_000 }), NOW)).toBe(true);
    expect(dueForOverflow({ ...q, overflowQueueId: null }, item('c', { queueEnteredAt: NOW - 121_000 }), NOW)).toBe(false);
    const stepped = queue({ overflowQueueId: 'sales', steps: [{ afterSeconds: 60, action: 'overflow' }] });
    expect(dueForOverflow(stepped, item('c', { queueEnteredAt: NOW - 61_000 }), NOW)).toBe(true);
  });

  describe('a backlog of hundreds', () => {
    // a fixed pseudo-random sequence, so that a failure repeats
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const vipsAndAgeing = () => queue({ priority: { tiers: { vip: 5 }, agingPerMinute: 1 } });
    const backlog = Array.from({ length: 500 }, (_, i) =>
      item(`c${String(i).padStart(3, '0')}`, { tier: next() < 0.2 ? 'vip' : 'standard', queuedAt: NOW - Math.floor(next() * 600_000) }),
    );
    // the order restated from the rule: 5 points for a VIP and one per minute waited, then arrival, then id
    const points = (w: WaitingItem) => (w.tier === 'vip' ? 5 : 0) + (NOW - w.queuedAt) / 60_000;
    const expected = [...backlog]
      .sort((a, b) => points(b) - points(a) || a.queuedAt - b.queuedAt || (a.contactId < b.contactId ? -1 : 1))
      .map((w) => w.contactId);
    const oneChatEach = (n: number) => Array.from({ length: n }, (_, i) => agent(`a${i}`, { capacity: { voice: 0, chat: 1, sms: 0, email: 0 } }));

    it('offers the highest priorities first when only a few agents are free', () => {
      const { queues, agents } = setup(oneChatEach(4), [vipsAndAgeing()]);
      expect(matchWaiting(queues, agents, backlog, NOW).map((d) => d.contactId)).toEqual(expected.slice(0, 4));
    });

    it('takes the whole backlog in priority order when there is room for all', () => {
      const { queues, agents } = setup(oneChatEach(500), [vipsAndAgeing()]);
      expect(matchWaiting(queues, agents, backlog, NOW).map((d) => d.contactId)).toEqual(expected);
    });
  });

  describe('business hours', () => {
    it('offers nothing from a closed queue, and serves an open one meanwhile', () => {
      const sales = queue({ id: 'sales', name: 'Sales' });
      const { queues, agents } = setup([agent('a1'), agent('a2')], [queue(), sales]);
      sales.memberIds.add('a1').add('a2');
      const hours = new Map([['support', { open: false, openedAt: null }]]);
      const decisions = matchWaiting(queues, agents, [item('closed-1'), item('open-1', { queueId: 'sales' })], NOW, hours);
      expect(decisions.map((d) => d.contactId)).toEqual(['open-1']);
    });

    it('at opening, offers first the contacts that waited through the closure, oldest first, before higher priorities that came later', () => {
      const { queues, agents } = setup([agent('a1', { capacity: { voice: 1, chat: 1, sms: 3, email: 5 } })], [queue({ priority: { tiers: { vip: 100 } } })]);
      const openedAt = NOW - 60_000;
      const hours = new Map([['support', { open: true, openedAt }]]);
      const waiting = [
        item('vip-after-opening', { tier: 'vip', queuedAt: NOW - 30_000 }),
        item('overnight-2', { queuedAt: openedAt - 3_600_000 }),
        item('overnight-1', { queuedAt: openedAt - 7_200_000 }),
      ];
      expect(matchWaiting(queues, agents, waiting, NOW, hours).map((d) => d.contactId)).toEqual(['overnight-1']);
      // without the opening, the VIP's points win as before
      expect(matchWaiting(queues, setup([agent('a1', { capacity: { voice: 1, chat: 1, sms: 3, email: 5 } })]).agents, waiting, NOW).map((d) => d.contactId)).toEqual([
        'vip-after-opening',
      ]);
    });
  });
});
