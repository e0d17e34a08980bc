import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type InboundAttachment, type InboundMessageJob } from '@cc/shared';
import { InjectConfig, JobsService } from '@cc/platform';
import { toE164 } from '@cc/customers';
import { DeliveryService } from '@cc/contacts';
import { QueuesService } from '@cc/routing';
import { deliveryStatusOfTwilio, TwilioSmsClient } from './twilio-sms.client';

/** Twilio's inbound message webhook: the fields we read (it sends many more). */
const twilioInbound = z.object({
  MessageSid: z.string().regex(/^[A-Z]{2}[0-9a-fA-F]{32}$/, 'must be a Twilio message SID'),
  From: z.string().min(1),
  To: z.string().min(1),
  Body: z.string().max(20_000).default(''),
  NumMedia: z.coerce.number().int().min(0).max(10).default(0),
});

const twilioStatus = z.object({
  MessageSid: z.string().regex(/^[A-Z]{2}[0-9a-fA-F]{32}$/, 'must be a Twilio message SID'),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
});

/** The generic SMS webhook's JSON body, for providers other than Twilio. */
const genericInbound = z.object({
  id: z.string().min(1).max(200),
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string().max(20_000),
  media: z.array(z.object({ url: z.url(), contentType: z.string().min(1).max(200) })).max(10).default([]),
});

const invalid = (what: string, e: z.ZodError) =>
  new DomainError(ErrorCode.ValidationFailed, `${what}: ${e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);

/**
 * The SMS channel's inbound side: each provider's webhook verified, parsed into the common inbound
 * job and queued durably before it is answered. A request that fails verification or validation
 * stores nothing.
 */
@Injectable()
export class SmsInboundService {
  constructor(
    private readonly twilio: TwilioSmsClient,
    private readonly jobs: JobsService,
    private readonly queues: QueuesService,
    private readonly delivery: DeliveryService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** Twilio's inbound message webhook (form fields as Twilio posts them). */
  async acceptTwilio(fields: Record<string, string>, signature: string | undefined, pathWithQuery: string): Promise<void> {
    this.twilio.verifySignature(signature, pathWithQuery, fields);
    const parsed = twilioInbound.safeParse(fields);
    if (!parsed.success) throw invalid('Twilio SMS webhook', parsed.error);
    const f = parsed.data;
    const media: InboundAttachment[] = [];
    for (let i = 0; i < f.NumMedia; i++) {
      const url = fields[`MediaUrl${i}`];
      if (!url) throw new DomainError(ErrorCode.ValidationFailed, `Twilio SMS webhook: NumMedia is ${f.NumMedia} but MediaUrl${i} is missing`);
      media.push({ filename: `media-${i}`, contentType: fields[`MediaContentType${i}`] || 'application/octet-stream', size: 0, contentBase64: null, url });
    }
    await this.enqueue({ id: f.MessageSid, from: f.From, to: f.To, text: f.Body, media });
  }

  /** Twilio's status callback for a message we sent. An unknown or out-of-order status changes nothing. */
  async applyTwilioStatus(fields: Record<string, string>, signature: string | undefined, pathWithQuery: string): Promise<void> {
    this.twilio.verifySignature(signature, pathWithQuery, fields);
    const parsed = twilioStatus.safeParse(fields);
    if (!parsed.success) throw invalid('Twilio status callback', parsed.error);
    const f = parsed.data;
    const status = deliveryStatusOfTwilio(f.MessageStatus);
    if (!status) throw new DomainError(ErrorCode.ValidationFailed, `Twilio status callback: unknown MessageStatus "${f.MessageStatus}"`);
    await this.delivery.updateByProviderId(f.MessageSid, {
      status,
      errorCode: f.ErrorCode || null,
      error: f.ErrorCode ? (f.ErrorMessage ?? `Twilio error ${f.ErrorCode}`) : null,
    });
  }

  /**
   * The generic JSON webhook: the body signed with HMAC-SHA256 over the provider's shared secret,
   * hex, in X-Signature (optionally prefixed "sha256=").
   */
  async acceptGeneric(provider: string, rawBody: Buffer | undefined, signature: string | undefined): Promise<void> {
    const secret = this.config.sms.webhookSecrets.get(provider);
    if (!secret) throw new DomainError(ErrorCode.NotFound, `no SMS provider "${provider}" is configured (SMS_WEBHOOK_SECRETS)`);
    if (!rawBody) throw new DomainError(ErrorCode.ValidationFailed, 'the body must be JSON (Content-Type: application/json)');
    if (!signature) throw new DomainError(ErrorCode.Forbidden, 'missing X-Signature');
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    const given = Buffer.from(signature.replace(/^sha256=/, ''), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new DomainError(ErrorCode.Forbidden, 'X-Signature does not match the body');
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new DomainError(ErrorCode.ValidationFailed, 'the body is not valid JSON');
    }
    const parsed = genericInbound.safeParse(body);
    if (!parsed.success) throw invalid(`SMS webhook (${provider})`, parsed.error);
    const f = parsed.data;
    await this.enqueue({
      id: `${provider}:${f.id}`,
      from: f.from,
      to: f.to,
      text: f.text,
      media: f.media.map((m, i) => ({ filename: `media-${i}`, contentType: m.contentType, size: 0, contentBase64: null, url: m.url })),
    });
  }

  private async enqueue(sms: { id: string; from: string; to: string; text: string; media: InboundAttachment[] }): Promise<void> {
    const from = toE164(sms.from, this.config.defaultPhoneRegion);
    if (!from) throw new DomainError(ErrorCode.ValidationFailed, `From "${sms.from}" is not a phone number`);
    const to = toE164(sms.to, this.config.defaultPhoneRegion);
    if (!to) throw new DomainError(ErrorCode.ValidationFailed, `To "${sms.to}" is not a phone number`);
    if (!sms.text.trim() && sms.media.length === 0) throw new DomainError(ErrorCode.ValidationFailed, 'the message has neither text nor media');
    const queueId = await this.queues.activeIdByName(this.config.sms.numberQueues.get(to) ?? this.config.sms.defaultQueue, 'sms');
    const job: InboundMessageJob = {
      channel: 'sms',
      address: from,
      externalId: sms.id,
      text: sms.text,
      queueId,
      receivedAt: Date.now(),
      channelAddress: to,
      providerMessageId: sms.id,
    };
    if (sms.media.length) job.content = { attachments: sms.media };
    await this.jobs.enqueue('inbound.message', job);
  }
}
