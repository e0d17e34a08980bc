import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JOB_QUEUE, type JobName, type JobPayloads, QueueName } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';
import { InjectConfig } from '../config.token';
import { jobOptions } from './job-options';

/** Enqueues jobs by name; the payload type and the options follow from the name. */
@Injectable()
export class JobsService {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Inbound) inbound: Queue,
    @InjectQueue(QueueName.Routing) routing: Queue,
    @InjectQueue(QueueName.Timers) timers: Queue,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    this.queues = { [QueueName.Inbound]: inbound, [QueueName.Routing]: routing, [QueueName.Timers]: timers };
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, payload, jobOptions(name, payload, this.config));
  }

  /** Cancels a delayed job by its id, if it is still waiting; a job already running is left alone. */
  async cancel(queue: QueueName, jobId: string): Promise<void> {
    await this.queue(queue).remove(jobId).catch(() => undefined);
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  allQueues(): Queue[] {
    return Object.values(this.queues);
  }
}
