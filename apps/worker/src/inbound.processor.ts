import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { type InboundMessageJob, type MessageView, QueueName } from '@cc/shared';
import { InjectConfig, MicroBatcher, RealtimeService } from '@cc/platform';
import { DeliveryService, type IngestedContact, InboundService, type IngestResult } from '@cc/contacts';
import { SmsComplianceService, smsKeyword } from '@cc/channels/sms';
import { dispatch, type JobHandlers } from './job-handlers';
import { ResilientWorkerHost } from './worker-errors';

/** most messages a single ingest transaction takes */
const INGEST_BATCH = 200;
/**
 * ingest transactions under way at once: fewer means bigger batches, and a batch costs about the
 * same five statements whatever its size. One, not two: at 500 messages/s a batch grew from 3.7 to
 * 6 messages, the worker's queries fell by a third, and offers came sooner at every rate measured,
 * 100/s included (README, Performance). Messages arriving during a batch wait for it, and go in the next.
 */
const INGEST_IN_FLIGHT = 1;

/** Customers' messages from every channel: stored against their customer and contact, then delivered. */
@Processor(QueueName.Inbound)
export class InboundProcessor extends ResilientWorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'inbound.message' | 'inbound.email-bounce'> = {
    'inbound.message': async (job) => {
      // a compliance keyword (STOP, START, HELP) joins an open conversation but never opens one
      const keyword = job.channel === 'sms' ? smsKeyword(job.text) : null;
      const result = await this.batcher.submit(keyword ? { ...job, joinOnly: true } : job);
      if (!result.duplicate && result.contact) await this.deliver(result.contact, result.message, result.opened);
      // the keyword takes effect once the message is stored, and once only, whatever retries of this job come
      if (keyword) await this.compliance.applyKeyword(job, keyword);
      if (result.duplicate) return { duplicate: true };
      return result.contact ? { contactId: result.contact.id, messageId: result.message.id } : { keyword: keyword?.kind, stored: false };
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
    }, INGEST_BATCH, INGEST_IN_FLIGHT);
  }

  /** The stored message to whoever is watching: the agent holding the contact, supervisors monitoring it, the visitor's other tabs. */
  private async deliver(contact: IngestedContact, message: MessageView, opened: boolean): Promise<void> {
    if (contact.agentId) await this.realtime.toAgent(contact.agentId, 'message', message);
    await this.realtime.toMonitors(contact.id, 'message', message);
    if (contact.channel === 'chat') {
      await this.realtime.toVisitor(contact.address, 'message', message);
      if (opened) await this.realtime.toVisitor(contact.address, 'conversation:state', { contactId: contact.id, state: 'queued', agentName: null });
    }
  }

  onApplicationBootstrap(): Promise<void> {
    return this.startWorker(this.config.concurrency.inbound);
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
