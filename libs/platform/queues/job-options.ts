import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { JobName, JobPayloads } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';

const hash = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * The one place job options are decided: idempotency ids, retries, delays and retention.
 * (BullMQ forbids ':' in custom ids, hence the underscores.)
 */
export function jobOptions<N extends JobName>(
  name: N,
  payload: JobPayloads[N],
  config: Pick<ResolvedConfig, 'agentDisconnectGraceMs' | 'outbound'>,
): JobsOptions {
  switch (name) {
    case 'inbound.message': {
      const p = payload as JobPayloads['inbound.message'];
      // the same message from the same sender is one job while it is kept; the messages table's
      // unique external id catches a retry that arrives after the job was removed
      return {
        jobId: `in_${hash(`${p.channel}|${p.address}|${p.externalId}`)}`,
        attempts: 12,
        backoff: { type: 'exponential', delay: 250 },
        removeOnComplete: { age: 24 * 3600, count: 50_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    case 'timers.agent-disconnected':
      return { delay: config.agentDisconnectGraceMs, attempts: 3, removeOnComplete: true, removeOnFail: { count: 1000 } };
    case 'timers.sweep':
      return { removeOnComplete: true, removeOnFail: { count: 100 } };
    case 'inbound.email-bounce': {
      const p = payload as JobPayloads['inbound.email-bounce'];
      return {
        jobId: `bounce_${hash(`${p.originalMessageId}|${p.recipient ?? ''}`)}`,
        attempts: 12,
        backoff: { type: 'exponential', delay: 250 },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    case 'outbound.deliver': {
      const p = payload as JobPayloads['outbound.deliver'];
      // one job per message while it is kept: the sweep's re-enqueue of a message still being tried adds nothing
      return {
        jobId: `out_${p.messageId}`,
        attempts: config.outbound.attempts,
        backoff: { type: 'exponential', delay: config.outbound.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 50_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      };
    }
    case 'voice.bridge':
    case 'voice.requeued':
    case 'voice.after-hours':
    case 'voice.hangup':
      // a caller is waiting: a few quick tries, then the call goes back to the queue
      return { attempts: 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: true, removeOnFail: { count: 1000 } };
    default: {
      const unknown: never = name;
      throw new Error(`no job options for ${String(unknown)}`);
    }
  }
}
