/**
 * npm run bench:matching [-- --runs 7]
 *
 * What one routing pass's matching costs as the backlog grows: 110 agents of whom 4 have room for one
 * more chat, and 10 to 5,000 contacts waiting in one queue with VIP points and ageing, as in an
 * overloaded center where each pass can place only a few. Prints one JSON line with the median
 * microseconds per pass for each backlog size.
 */
import type { Channel } from '@cc/shared';
import { matchWaiting } from '../../libs/routing/engine/matching';
import type { AgentState, QueuePolicy, WaitingItem } from '../../libs/routing/engine/routing-model';
import { benchArgs, median } from './cli';

const args = benchArgs();
const RUNS = Number(args.get('runs') ?? 7);
const BACKLOGS = [10, 100, 1_000, 5_000];
const AGENTS = 110;
const FREE_AGENTS = 4;
const NOW = Date.now();

const chat = (n: number): Record<Channel, number> => ({ voice: 0, chat: n, sms: 0, email: 0 });

function microsPerPass(backlog: number): number {
  const queue: QueuePolicy = {
    id: 'support',
    name: 'Support',
    active: true,
    channels: ['chat'],
    requiredSkills: {},
    priority: { tiers: { vip: 5 }, agingPerMinute: 1 },
    serviceLevelSeconds: 20,
    maxWaitSeconds: null,
    overflowQueueId: null,
    steps: [],
    stickySeconds: 0,
    memberIds: new Set(Array.from({ length: AGENTS }, (_, i) => `agent-${i}`)),
    calendar: null,
    afterHours: {},
    afterHoursMessage: null,
  };
  // one in five a VIP, arrivals spread over the last ten minutes
  const waiting: WaitingItem[] = Array.from({ length: backlog }, (_, i) => ({
    contactId: `contact-${i}`,
    kind: 'contact',
    queueId: queue.id,
    channel: 'chat',
    tier: i % 5 === 0 ? 'vip' : 'standard',
    customerId: `customer-${i}`,
    queuedAt: NOW - ((i * 7919) % 600_000),
    queueEnteredAt: NOW - 1_000,
    preferredAgentId: null,
    preferredUntil: 0,
    preferredDirect: false,
    excluded: new Map(),
    fromAgentId: null,
  }));
  const passes = Math.max(20, Math.round(200_000 / backlog));
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let elapsed = 0n;
    for (let p = 0; p < passes; p++) {
      // a pass mutates the agents it places contacts with: each starts from the same state
      const agents = new Map<string, AgentState>();
      [...queue.memberIds].forEach((id, i) =>
        agents.set(id, { id, name: id, presence: 'available', skills: {}, capacity: chat(3), load: chat(i < FREE_AGENTS ? 2 : 3), idleSince: NOW - i, voiceBlocksOthers: false }),
      );
      const started = process.hrtime.bigint();
      matchWaiting(new Map([[queue.id, queue]]), agents, waiting, NOW);
      elapsed += process.hrtime.bigint() - started;
    }
    runs.push(Number(elapsed) / 1000 / passes);
  }
  return median(runs);
}

const perPass = Object.fromEntries(BACKLOGS.map((n) => [n, microsPerPass(n)]));
process.stdout.write(JSON.stringify({ microsPerPassByBacklog: perPass, agents: AGENTS, freeAgents: FREE_AGENTS, runs: RUNS }) + '\n');
