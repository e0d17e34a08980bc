import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket.io connection to one of the system's namespaces, as the agent desk and the widget open it. */
export function connect(url: string, token: string): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => ok(s));
    s.once('connect_error', fail);
  });
}

/** How often a benchmark thread samples its own event loop's delay, in ms. */
const LOOP_SAMPLE_MS = 5;

export interface LoopDelayMs {
  p50: number;
  p99: number;
  max: number;
}

/**
 * How late this thread's event loop ran while it was watched. An offer is stamped when the loop gets
 * to it, so that delay is part of the offer latency measured on this thread.
 */
export function watchLoopDelay(): { stop: () => LoopDelayMs } {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  histogram.enable();
  // each sample is the interval between two ticks: less the sampling interval, it is the delay
  const late = (intervalNs: number) => Math.max(0, Math.round((intervalNs / 1e6 - LOOP_SAMPLE_MS) * 10) / 10);
  return {
    stop: () => {
      histogram.disable();
      return { p50: late(histogram.percentile(50)), p99: late(histogram.percentile(99)), max: late(histogram.max) };
    },
  };
}
