import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobsService, RealtimeService } from '@cc/platform';
import { type Matcher, MATCHER } from './matcher';
import { OfferViewsService } from './offer-views.service';
import { QueuesService } from './queues.service';

/** Runs matching for a queue and delivers the offers it makes; asks for matching when agents free up. */
@Injectable()
export class RoutingService {
  private readonly logger = new Logger(RoutingService.name);

  constructor(
    @Inject(MATCHER) private readonly matcher: Matcher,
    private readonly views: OfferViewsService,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobsService,
    private readonly queues: QueuesService,
  ) {}

  /** Matches what can be matched in the queue now and sends each offer to its agent. */
  async routeQueue(queueId: string): Promise<number> {
    const offers = await this.matcher.matchQueue(queueId);
    for (const made of offers) {
      const view = await this.views.offer(made.offerId);
      // an offer that never reaches the agent still expires on its timer and is routed again
      if (view) await this.realtime.toAgent(made.agentId, 'offer', view);
    }
    return offers.length;
  }

  requestForQueue(queueId: string, trigger: string): Promise<void> {
    return this.jobs.enqueue('routing.route-queue', { queueId, trigger });
  }

  /** An agent became available or freed capacity: every queue they serve may have work for them. */
  async requestForAgent(agentId: string, trigger: string): Promise<void> {
    const queueIds = await this.queues.queueIdsOfAgent(agentId);
    await Promise.all(queueIds.map((queueId) => this.requestForQueue(queueId, trigger)));
  }
}
