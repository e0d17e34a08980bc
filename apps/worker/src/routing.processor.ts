import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { QueueName } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { RoutingService } from '@cc/routing';
import { dispatch, type JobHandlers } from './job-handlers';

/** Matching requests: a contact arrived, an agent freed up, an offer came back. */
@Processor(QueueName.Routing)
export class RoutingProcessor extends WorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'routing.route-queue'> = {
    'routing.route-queue': async ({ queueId }) => ({ offers: await this.routing.routeQueue(queueId) }),
  };

  constructor(
    private readonly routing: RoutingService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.concurrency.routing;
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
