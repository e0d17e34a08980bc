import { io, type Socket } from 'socket.io-client';
import type { AgentLiveStats, LiveSnapshot, QueueLiveStats } from '@cc/shared';
import { waitForEvent } from './clients';

/** A supervisor's (or admin's) socket on /supervisors, recording every figure the server pushes. */
export interface SupervisorClient {
  socket: Socket;
  /** the snapshot the server sent on connect */
  snapshot: LiveSnapshot;
  /** every `queue:stats` pushed since connecting, oldest first */
  queueStats: QueueLiveStats[];
  /** every `agent:stats` pushed since connecting, oldest first */
  agentStats: AgentLiveStats[];
  /** every `message` and `contact:state` received (monitored contacts), oldest first */
  messages: any[];
  states: any[];
  ack<T = any>(event: string, payload?: unknown): Promise<T>;
  /**
   * Waits for a pushed `queue:stats` of the named queue matching `match`, among those pushed after
   * the first `from` (default: any); fails with the latest figures seen for that queue.
   */
  pushedQueue(name: string, match: (q: QueueLiveStats) => boolean, from?: number, timeoutMs?: number): Promise<QueueLiveStats>;
  /** The same for `agent:stats`, by agent name. */
  pushedAgent(name: string, match: (a: AgentLiveStats) => boolean, from?: number, timeoutMs?: number): Promise<AgentLiveStats>;
  close(): void;
}

async function pushed<T>(list: T[], pick: (x: T) => boolean, match: (x: T) => boolean, from: number, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = list.slice(from).find((x) => pick(x) && match(x));
    if (hit) return hit;
    if (Date.now() > deadline) {
      const seen = list.slice(from).filter(pick);
      throw new Error(`no matching ${what} pushed within ${timeoutMs} ms; ${seen.length} pushed, the latest: ${JSON.stringify(seen.slice(-3))}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function connectSupervisor(url: string, token: string): Promise<SupervisorClient> {
  const socket = io(`${url}/supervisors`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const queueStats: QueueLiveStats[] = [];
  const agentStats: AgentLiveStats[] = [];
  const messages: any[] = [];
  const states: any[] = [];
  socket.on('queue:stats', (q: QueueLiveStats) => queueStats.push(q));
  socket.on('agent:stats', (a: AgentLiveStats) => agentStats.push(a));
  socket.on('message', (m: unknown) => messages.push(m));
  socket.on('contact:state', (e: unknown) => states.push(e));
  const snapshot = waitForEvent<LiveSnapshot>(socket, 'snapshot');
  await new Promise<void>((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('connect_error', (e) => fail(e));
  });
  return {
    socket,
    snapshot: await snapshot,
    queueStats,
    agentStats,
    messages,
    states,
    ack: (event, payload) => socket.timeout(15_000).emitWithAck(event, payload),
    pushedQueue: (name, match, from = 0, timeoutMs = 15_000) =>
      pushed(queueStats, (q) => q.name === name, match, from, timeoutMs, `queue:stats for ${name}`),
    pushedAgent: (name, match, from = 0, timeoutMs = 15_000) =>
      pushed(agentStats, (a) => a.name === name, match, from, timeoutMs, `agent:stats for ${name}`),
    close: () => socket.disconnect(),
  };
}

/**
 * Tries to connect to /supervisors with the given handshake auth; resolves with the refusal
 * (`connect_error`), rejects if the server accepted the connection or sent a snapshot.
 */
export function refusedAtSupervisors(url: string, auth: Record<string, unknown>): Promise<{ message: string; data: any }> {
  const socket = io(`${url}/supervisors`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      fail(new Error('neither connected nor refused within 10 s'));
    }, 10_000);
    const done = (f: () => void) => {
      clearTimeout(timer);
      socket.disconnect();
      f();
    };
    socket.once('connect', () => done(() => fail(new Error('the connection was accepted'))));
    socket.once('snapshot', () => done(() => fail(new Error('a snapshot was sent'))));
    socket.once('connect_error', (err: Error & { data?: unknown }) => done(() => ok({ message: err.message, data: err.data })));
  });
}
