import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { type InboundMessageJob, QueueName } from '@cc/shared';

/** most messages a single ingest transaction takes */
const INGEST_BATCH = 200;
import { InjectConfig, RealtimeService } from '@cc/platform';
import { InboundService, type IngestResult } from '@cc/contacts';
import { MicroBatcher } from './micro-batcher';
import { dispatch, type JobHandlers } from './job-handlers';
import { ResilientWorkerHost } from './worker-errors';

/** Customers' messages from every channel: stored against their customer and contact, then delivered. */
@Processor(QueueName.Inbound)
export class InboundProcessor extends ResilientWorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'inbound.message'> = {
    'inbound.message': async (job) => {
      const result = await this.batcher.submit(job);
      if (result.duplicate) return { duplicate: true };
      const { contact, message } = result;
      if (contact.agentId) await this.realtime.toAgent(contact.agentId, 'message', message);
      if (contact.channel === 'chat') {
        // other tabs of the same visitor see the message too
        await this.realtime.toVisitor(contact.address, 'message', message);
        if (result.opened) {
          await this.realtime.toVisitor(contact.address, 'conversation:state', { contactId: contact.id, state: 'queued', agentName: null });
        }
      }
      return { contactId: contact.id, messageId: message.id };
    },
  };

  private readonly batcher: MicroBatcher<InboundMessageJob, IngestResult>;

  constructor(
    private readonly inbound: InboundService,
    private readonly realtime: RealtimeService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    super();
    this.batcher = new MicroBatcher(async (jobs) => {
      const started = Date.now();
      const results = await this.inbound.ingestMany(jobs);
      this.logger.debug(`ingested ${jobs.length} in ${Date.now() - started} ms`);
      return results;
    }, INGEST_BATCH, 4);
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.concurrency.inbound;
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
