import { Injectable, Logger } from '@nestjs/common';
import type { Channel } from '@cc/shared';
import { type ChannelSender, DeliveryFailure, DeliveryService } from '@cc/contacts';
import { SmsComplianceService, TwilioSmsClient } from '@cc/channels/sms';
import { SmtpEmailSender } from '@cc/channels/email';

export interface DeliveryAttempt {
  /** 1 on the first try */
  attempt: number;
  attempts: number;
}

/**
 * Sends one stored outbound message through its channel, once per delivery job try. A failure the
 * provider calls permanent, or the last try's failure, marks the message failed (the agent and the
 * contact's log say why); any other failure marks it retrying and throws, so the queue tries again
 * with backoff. A message already past pending or retrying is not sent twice.
 */
@Injectable()
export class OutboundDeliveryService {
  private readonly logger = new Logger(OutboundDeliveryService.name);
  private readonly senders: Partial<Record<Channel, ChannelSender>>;

  constructor(
    private readonly delivery: DeliveryService,
    private readonly compliance: SmsComplianceService,
    sms: TwilioSmsClient,
    email: SmtpEmailSender,
  ) {
    this.senders = { sms, email };
  }

  async deliver(messageId: string, { attempt, attempts }: DeliveryAttempt): Promise<'sent' | 'failed' | 'skipped'> {
    const message = await this.delivery.load(messageId);
    if (!message || (message.status !== 'pending' && message.status !== 'retrying')) return 'skipped';
    try {
      const sender = this.senders[message.channel];
      if (!sender) throw new DeliveryFailure(`no outbound adapter for ${message.channel}`, 'no_adapter', true);
      if (message.channel === 'sms' && (await this.compliance.isOptedOut(message.to))) {
        throw new DeliveryFailure('the customer opted out of SMS (STOP)', 'opted_out', true);
      }
      const sent = await sender.send(message);
      await this.delivery.update(messageId, { status: sent.status, providerMessageId: sent.providerMessageId });
      return 'sent';
    } catch (e) {
      const failure = e instanceof DeliveryFailure ? e : new DeliveryFailure((e as Error).message, 'internal', false);
      if (failure.permanent || attempt >= attempts) {
        this.logger.warn(`message ${messageId} (${message.channel}) failed for good after ${attempt} tries: ${failure.message}`);
        await this.delivery.update(messageId, { status: 'failed', errorCode: failure.code, error: failure.message });
        return 'failed';
      }
      await this.delivery.update(messageId, { status: 'retrying', errorCode: failure.code, error: `${failure.message} (try ${attempt} of ${attempts})` });
      throw failure;
    }
  }
}
