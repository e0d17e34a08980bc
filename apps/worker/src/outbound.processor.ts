import { OnApplicationBootstrap } from '@nestjs/common';
import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { ResolvedConfig } from '@cc/config';
import { QueueName } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { OutboundDeliveryService } from '@cc/channels/outbound';
import { VoiceCallsService } from '@cc/channels/voice';
import { dispatch, type JobHandlers } from './job-handlers';
import { ResilientWorkerHost } from './worker-errors';

/** Replies to customers on SMS and email, sent through each channel's provider, retried with backoff; and agents rung for the calls they took. */
@Processor(QueueName.Outbound)
export class OutboundProcessor extends ResilientWorkerHost implements OnApplicationBootstrap {
  readonly handlers: JobHandlers<'outbound.deliver' | 'voice.bridge' | 'voice.requeued' | 'voice.after-hours' | 'voice.hangup'> = {
    'outbound.deliver': async ({ messageId }, run) => ({ outcome: await this.outbound.deliver(messageId, run) }),
    'voice.bridge': async ({ contactId }) => {
      await this.voice.bridge(contactId);
      return { contactId };
    },
    'voice.requeued': async ({ contactId }) => {
      await this.voice.backToQueue(contactId);
      return { contactId };
    },
    'voice.hangup': async ({ contactId }) => {
      await this.voice.hangUp(contactId);
      return { contactId };
    },
    'voice.after-hours': async ({ contactId, text, action }) => {
      await this.voice.afterHours(contactId, text, action);
      return { contactId, action };
    },
  };

  constructor(
    private readonly outbound: OutboundDeliveryService,
    private readonly voice: VoiceCallsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): Promise<void> {
    return this.startWorker(this.config.outbound.concurrency);
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.handlers, job);
  }
}
