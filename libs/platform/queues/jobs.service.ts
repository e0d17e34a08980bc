import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JOB_QUEUE, type JobName, type JobPayloads, QueueName } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';
import { InjectConfig } from '../config.token';
import { jobOptions } from './job-options';

/** Enqueues jobs by name; the payload type and the options follow from the name. */
@Injectable()
export class JobsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobsService.name);
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Inbound) inbound: Queue,
    @InjectQueue(QueueName.Timers) timers: Queue,
    @InjectQueue(QueueName.Outbound) outbound: Queue,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    this.queues = { [QueueName.Inbound]: inbound, [QueueName.Timers]: timers, [QueueName.Outbound]: outbound };
    // a queue emits 'error' when its connection drops (it reconnects by itself); unheard, that would end the process
    for (const queue of Object.values(this.queues)) queue.on('error', (e) => this.logger.warn(`queue ${queue.name}: ${e.message}`));
  }

  /**
   * Connects every queue now. With queues on PostgreSQL, a queue's first command checks the schema
   * once and remembers the outcome: a first command made while the database is unreachable would
   * leave that queue failing until the process restarts, so none is left to a later moment.
   */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.allQueues().map((q) => q.waitUntilReady()));
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, jobOptions(name, payload, this.config));
  }

  /**
   * Enqueues a job again whose first enqueue may have been lost: a job still kept under the same id
   * that already finished (failed, or completed without doing its work) is run again rather than
   * silently deduplicated; one still waiting or running is left alone.
   */
  async enqueueAgain<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    const options = jobOptions(name, payload, this.config);
    const queue = this.queue(JOB_QUEUE[name]);
    const existing = options.jobId ? await queue.getJob(options.jobId) : undefined;
    if (existing && (await existing.isFailed())) {
      await existing.retry('failed');
      return;
    }
    if (existing && (await existing.isCompleted())) await existing.remove();
    else if (existing) return;
    await queue.add(name, payload, options);
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  allQueues(): Queue[] {
    return Object.values(this.queues);
  }
}
