/**
 * The benchmark's simulated agents, on a worker thread of their own: they accept every offer, handle
 * the contact for a random while, end it and wrap it up. An offer's arrival is stamped when this
 * thread's event loop gets to it; on its own thread that loop is not held up by the visitors' sockets
 * and the load generator's sends, as a real agent's browser is not (README, Performance).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Socket } from 'socket.io-client';
import { connect, type LoopDelayMs, sleep, watchLoopDelay } from './sockets';

export interface AgentDesksInput {
  /** each agent's access token, and the /agents namespace it connects to */
  agents: { url: string; token: string }[];
  /** handling time, from and to, in ms */
  handleMs: [number, number];
  /** Int32Array over it: [0] counts the distinct contacts offered so far, for the main thread to read at any time */
  offeredCounter: SharedArrayBuffer;
}

/** main thread → desks */
export type DesksCommand = { measureFrom: number } | { finish: true };

/** desks → main thread */
export type DesksReport =
  | { ready: true }
  | {
      /** offer latencies of the contacts that arrived from measureFrom on, by the second they arrived in */
      bySecond: [number, number[]][];
      /** distinct contacts offered before measuring started */
      offeredBeforeRun: number;
      loopDelayMs: LoopDelayMs | null;
    };

async function run(input: AgentDesksInput): Promise<void> {
  const port = parentPort!;
  const offeredCount = new Int32Array(input.offeredCounter);
  const offered = new Set<string>();
  const bySecond = new Map<number, number[]>();
  let measuredFrom = Infinity;
  let offeredBeforeRun = 0;
  let loop: ReturnType<typeof watchLoopDelay> | undefined;
  const sockets: Socket[] = [];

  for (const { url, token } of input.agents) {
    const socket = await connect(url, token);
    socket.on('offer', async (offer: { offerId: string; contactId: string; waitingSince: string }) => {
      const arrived = Date.parse(offer.waitingSince);
      if (arrived >= measuredFrom) {
        const second = Math.floor((arrived - measuredFrom) / 1000);
        if (!bySecond.has(second)) bySecond.set(second, []);
        bySecond.get(second)!.push(Date.now() - arrived);
      }
      offered.add(offer.contactId);
      Atomics.store(offeredCount, 0, offered.size);
      try {
        const ack = await socket.emitWithAck('offer:accept', { offerId: offer.offerId });
        if (!ack.ok) return;
        await sleep(input.handleMs[0] + Math.random() * (input.handleMs[1] - input.handleMs[0]));
        await socket.emitWithAck('contact:end', { contactId: offer.contactId });
        await socket.emitWithAck('contact:wrapup', { contactId: offer.contactId, disposition: 'bench' });
      } catch {
        // the socket closed at the end of the run
      }
    });
    await socket.emitWithAck('presence:set', { state: 'available' });
    sockets.push(socket);
  }

  port.on('message', (command: DesksCommand) => {
    if ('measureFrom' in command) {
      measuredFrom = command.measureFrom;
      offeredBeforeRun = offered.size;
      loop = watchLoopDelay();
      return;
    }
    const loopDelayMs = loop?.stop() ?? null;
    sockets.forEach((s) => s.disconnect());
    port.postMessage({ bySecond: [...bySecond], offeredBeforeRun, loopDelayMs } satisfies DesksReport);
    port.close();
  });
  port.postMessage({ ready: true } satisfies DesksReport);
}

if (!isMainThread) void run(workerData as AgentDesksInput);
