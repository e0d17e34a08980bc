import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { QueueName } from '@cc/shared';
import { InjectConfig, JobsService, RealtimeService } from '@cc/platform';
import { AgentsService } from '@cc/agents';
import { ContactLifecycleService, RoutingService } from '@cc/routing';
import { dispatch, type JobHandlers } from './job-handlers';

/** Things that happen when time passes: offers expiring, agents gone quiet, and the periodic sweep. */
@Processor(QueueName.Timers)
export class TimersProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(TimersProcessor.name);

  readonly handlers: JobHandlers<'timers.offer-timeout' | 'timers.agent-disconnected' | 'timers.sweep'> = {
    'timers.offer-timeout': async ({ offerId }) => ({ expired: await this.lifecycle.expireOffer(offerId) }),
    'timers.agent-disconnected': async ({ agentId }) => {
      if ((await this.realtime.agentSocketCount(agentId)) > 0) return { offline: false };
      const changed = await this.agents.setPresence(agentId, 'offline', null);
      return { offline: changed };
    },
    'timers.sweep': async () => {
      // the safety net behind the timers and routing requests, which live in the queue backend:
      // whatever a lost job would have done happens here within one sweep interval
      const expired = await this.lifecycle.expireOverdueOffers();
      const waiting: { queue_id: string }[] = await this.db.query(`SELECT DISTINCT queue_id FROM contacts WHERE state = 'queued'`);
      for (const { queue_id } of waiting) await this.routing.requestForQueue(queue_id, 'sweep');
      if (expired) this.logger.warn(`sweep expired ${expired} overdue offers`);
      return { expired, queues: waiting.length };
    },
  };

  constructor(
    private readonly lifecycle: ContactLifecycleService,
    private readonly routing: RoutingService,
    private readonly agents: AgentsService,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobsService,
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.worker.concurrency = this.config.concurrency.timers;
    await this.jobs
      .queue(QueueName.Timers)
      .upsertJobScheduler('sweep', { every: this.config.sweepIntervalMs }, { name: 'timers.sweep', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
