import { UnrecoverableError, type Job } from 'bullmq';
import type { JobName, JobPayloads } from '@cc/shared';

/** Which try of its job a handler is running: 1 on the first, up to `attempts`. */
export interface JobTry {
  attempt: number;
  attempts: number;
}

/** The handlers a processor has, one per job name of its queue. */
export type JobHandlers<N extends JobName> = { [K in N]: (data: JobPayloads[K], run: JobTry) => Promise<unknown> };

/** Runs the handler for the job's name; a job nobody handles fails for good instead of retrying. */
export function dispatch<N extends JobName>(handlers: JobHandlers<N>, job: Job): Promise<unknown> {
  const handler = (handlers as Record<string, ((data: unknown, run: JobTry) => Promise<unknown>) | undefined>)[job.name];
  if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${job.queueName}`);
  return handler(job.data, { attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 });
}
