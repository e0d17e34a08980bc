import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { type InboundMessageJob, QueueName } from '@cc/shared';
import { InjectConfig, RealtimeService } from '@cc/platform';
import { DeliveryService, InboundService, type IngestResult } from '@cc/contacts';
import { SmsComplianceService } from '@cc/channels/sms';
import { MicroBatcher } from './micro-batcher';
import { dispatch, type JobHandlers } from './job-handlers';
import { ResilientWorkerHost } from './worker-errors';

/** most messages a single ingest transaction takes */
const INGEST_BATCH = 200;

/** Customers' messages from every channel: stored against their customer and contact, then delivered. */
@Processor(QueueName.Inbound)
export class InboundProcessor extends ResilientWorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'inbound.message' | 'inbound.email-bounce'> = {
    'inbound.message': async (job) => {
      // a compliance keyword (STOP, START, HELP) takes effect first, and joins an open conversation without opening one
      const keyword = job.channel === 'sms' ? await this.compliance.applyKeyword(job) : null;
      const result = await this.batcher.submit(keyword ? { ...job, joinOnly: true } : job);
      if (result.duplicate) return { duplicate: true };
      if (!result.contact) return { keyword, stored: false };
      const { contact, message } = result;
      if (contact.agentId) await this.realtime.toAgent(contact.agentId, 'message', message);
      if (keyword) await this.compliance.noteOnContact(contact.id, contact.agentId, keyword, job.externalId);
      if (contact.channel === 'chat') {
        // other tabs of the same visitor see the message too
        await this.realtime.toVisitor(contact.address, 'message', message);
        if (result.opened) {
          await this.realtime.toVisitor(contact.address, 'conversation:state', { contactId: contact.id, state: 'queued', agentName: null });
        }
      }
      return { contactId: contact.id, messageId: message.id };
    },
    'inbound.email-bounce': async (bounce) => {
      const marked = await this.delivery.updateByProviderId(bounce.originalMessageId, {
        status: 'failed',
        errorCode: bounce.status ? `bounce_${bounce.status}` : 'bounce',
        error: `bounced${bounce.recipient ? ` by ${bounce.recipient}` : ''}${bounce.diagnostic ? `: ${bounce.diagnostic}` : ''}`,
      });
      return { marked };
    },
  };

  private readonly batcher: MicroBatcher<InboundMessageJob, IngestResult>;

  constructor(
    private readonly inbound: InboundService,
    private readonly delivery: DeliveryService,
    private readonly compliance: SmsComplianceService,
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
