import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { QueueName } from '@cc/shared';
import { InjectConfig, JobsService, RealtimeService } from '@cc/platform';
import { AgentsService } from '@cc/agents';
import { ContactLifecycleService } from '@cc/routing';
import { DeliveryService } from '@cc/contacts';
import { dispatch, type JobHandlers } from './job-handlers';
import { ResilientWorkerHost } from './worker-errors';

/** Things that happen when time passes: offers expiring, agents gone quiet, and the periodic sweep. */
@Processor(QueueName.Timers)
export class TimersProcessor extends ResilientWorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'timers.agent-disconnected' | 'timers.sweep'> = {
    'timers.agent-disconnected': async ({ agentId }) => {
      if ((await this.realtime.agentSocketCount(agentId)) > 0) return { offline: false };
      const changed = await this.agents.setPresence(agentId, 'offline', null, { type: 'system', id: null });
      return { offline: changed };
    },
    'timers.sweep': async () => {
      // the safety net behind the routing leader's offer timers: if no leader runs them (none elected
      // yet, or one stuck), overdue offers still expire within a sweep interval
      const expired = await this.lifecycle.expireOverdueOffers();
      if (expired) this.logger.warn(`sweep expired ${expired} overdue offers`);
      // and behind the outbound queue: a reply stored but whose delivery job was lost is handed over again
      const stalled = await this.delivery.stalled();
      for (const messageId of stalled) await this.jobs.enqueueAgain('outbound.deliver', { messageId });
      if (stalled.length) this.logger.warn(`sweep re-enqueued ${stalled.length} stalled deliveries`);
      await this.delivery.settleEarlyStatuses();
      return { expired, redelivered: stalled.length };
    },
  };

  constructor(
    private readonly lifecycle: ContactLifecycleService,
    private readonly agents: AgentsService,
    private readonly delivery: DeliveryService,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.startWorker(this.config.concurrency.timers);
    await this.jobs
      .queue(QueueName.Timers)
      .upsertJobScheduler('sweep', { every: this.config.sweepIntervalMs }, { name: 'timers.sweep', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
