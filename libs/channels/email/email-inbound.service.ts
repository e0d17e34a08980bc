import { Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type InboundMessageJob } from '@cc/shared';
import { InjectConfig, JobsService } from '@cc/platform';
import { QueuesService } from '@cc/routing';
import { Mailboxes } from './mailboxes';
import {
  EmailPayloadError,
  fromMailgun,
  fromPostmark,
  fromSendgrid,
  type ParsedEmail,
  sanitizeEmailHtml,
  type UploadedFile,
  verifyMailgunSignature,
  visibleReply,
} from './parsing';

export type EmailOutcome =
  /** queued as a customer's message */
  | 'accepted'
  /** a delivery status notification: queued to mark our message failed */
  | 'bounce'
  /** an auto-reply or bulk mail: no contact, no reply */
  | 'ignored';

/**
 * The email channel's inbound side, whatever brought the mail (our SMTP server or a provider's
 * webhook): machine mail set apart, the customer's message reduced to what an agent should read
 * (quoted history stripped, HTML sanitised, the full original kept), threaded, queued durably.
 */
@Injectable()
export class EmailInboundService {
  private readonly logger = new Logger(EmailInboundService.name);
  readonly mailboxes: Mailboxes;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobsService,
    private readonly queues: QueuesService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    this.mailboxes = new Mailboxes(config);
  }

  get limits() {
    return { maxAttachmentBytes: this.config.email.maxAttachmentBytes };
  }

  async accept(mail: ParsedEmail): Promise<EmailOutcome> {
    if (mail.bounce) {
      if (!mail.bounce.originalMessageId) {
        this.logger.warn(`a bounce from ${mail.from.address} names no message of ours; ignored`);
        return 'ignored';
      }
      await this.jobs.enqueue('inbound.email-bounce', {
        originalMessageId: mail.bounce.originalMessageId,
        recipient: mail.bounce.recipient,
        status: mail.bounce.status,
        diagnostic: mail.bounce.diagnostic,
      });
      return 'bounce';
    }
    if (mail.autoSubmitted) {
      this.logger.log(`auto-submitted mail from ${mail.from.address} (${mail.subject}) ignored`);
      return 'ignored';
    }
    const recipient = this.mailboxes.firstMatch(mail.to);
    if (!recipient) throw new DomainError(ErrorCode.NotFound, `none of the recipients (${mail.to.join(', ') || 'none'}) is a support mailbox here`);
    const queueId = await this.queues.activeIdByName(recipient.queueName, 'email');
    const text = visibleReply(mail.text);
    const job: InboundMessageJob = {
      channel: 'email',
      address: mail.from.address,
      // a message without a Message-ID is known by its content: a redelivery is still one message
      externalId: mail.messageId ?? `sha256:${createHash('sha256').update(JSON.stringify([mail.from.address, mail.subject, mail.date, mail.text])).digest('hex')}`,
      text,
      queueId,
      profile: mail.from.name ? { name: mail.from.name } : undefined,
      receivedAt: Date.now(),
      channelAddress: recipient.mailbox,
      providerMessageId: mail.messageId ?? undefined,
      content: {
        subject: mail.subject,
        html: mail.html ? sanitizeEmailHtml(mail.html) : null,
        // only when something was stripped: a trailing newline is not a shortening
        fullText: text !== mail.text.replace(/\r\n?/g, '\n').trim() ? mail.text : undefined,
        attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, contentBase64: a.contentBase64 })),
      },
      thread: {
        contactToken: recipient.contactToken,
        references: [...new Set([mail.inReplyTo, ...mail.references].filter((r): r is string => !!r))],
      },
    };
    await this.jobs.enqueue('inbound.message', job);
    return 'accepted';
  }

  /** Postmark's inbound webhook (JSON), behind HTTP basic credentials. */
  async acceptPostmark(body: unknown, authorization: string | undefined): Promise<EmailOutcome> {
    this.checkBasicAuth('Postmark', this.config.email.postmarkAuth, authorization);
    return this.accept(await parsed(() => fromPostmark(body, this.limits)));
  }

  /** SendGrid Inbound Parse (multipart), behind HTTP basic credentials. */
  async acceptSendgrid(fields: Record<string, string>, files: UploadedFile[], authorization: string | undefined): Promise<EmailOutcome> {
    this.checkBasicAuth('SendGrid', this.config.email.sendgridAuth, authorization);
    return this.accept(await parsed(() => fromSendgrid(fields, files, this.limits)));
  }

  /** Mailgun's forwarded message (multipart), signed with the account's webhook signing key. */
  async acceptMailgun(fields: Record<string, string>, files: UploadedFile[]): Promise<EmailOutcome> {
    const key = this.config.email.mailgunSigningKey;
    if (!key) throw new DomainError(ErrorCode.ChannelUnavailable, 'Mailgun is not configured (MAILGUN_SIGNING_KEY)');
    if (!verifyMailgunSignature({ timestamp: fields.timestamp, token: fields.token, signature: fields.signature }, key)) {
      throw new DomainError(ErrorCode.Forbidden, 'the Mailgun signature is missing, wrong or stale');
    }
    // the signature covers the timestamp and token, not the message: a token is good for one request.
    // It is recorded only once the mail is queued, so Mailgun's own retry of a failed request still passes.
    const [used] = await this.db.query(`SELECT 1 FROM webhook_nonces WHERE provider = 'mailgun' AND nonce = $1`, [fields.token]);
    if (used) throw new DomainError(ErrorCode.Forbidden, 'this Mailgun token was already used');
    const outcome = await this.accept(await parsed(() => fromMailgun(fields, files, this.limits)));
    await this.db.query(
      `WITH expired AS (DELETE FROM webhook_nonces WHERE seen_at < now() - interval '1 hour')
       INSERT INTO webhook_nonces (provider, nonce) VALUES ('mailgun', $1) ON CONFLICT DO NOTHING`,
      [fields.token],
    );
    return outcome;
  }

  private checkBasicAuth(provider: string, expected: string | undefined, authorization: string | undefined): void {
    if (!expected) throw new DomainError(ErrorCode.ChannelUnavailable, `${provider} inbound is not configured`);
    const given = /^Basic (.+)$/i.exec(authorization ?? '')?.[1];
    if (!given) throw new DomainError(ErrorCode.Unauthorized, `${provider} webhook: missing basic credentials`);
    const a = Buffer.from(Buffer.from(given, 'base64').toString('utf8'));
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new DomainError(ErrorCode.Forbidden, `${provider} webhook: wrong credentials`);
  }
}

/** A payload that is not the provider's format is the caller's error: a 400 that says what is wrong. */
async function parsed(convert: () => ParsedEmail | Promise<ParsedEmail>): Promise<ParsedEmail> {
  try {
    return await convert();
  } catch (e) {
    if (e instanceof EmailPayloadError) throw new DomainError(ErrorCode.ValidationFailed, e.message);
    throw e;
  }
}
