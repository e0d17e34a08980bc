import { Injectable } from '@nestjs/common';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode, type DeliveryStatus } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { type ChannelSender, DeliveryFailure, type OutboundMessage } from '@cc/contacts';

/** Path of the status callback Twilio calls for each message we send. */
export const TWILIO_SMS_STATUS_PATH = '/channels/twilio/sms/status';

/**
 * Twilio's statuses as ours. In flight (accepted, scheduled, queued, sending) is queued; read is
 * delivered; canceled is failed.
 */
export function deliveryStatusOfTwilio(status: string): DeliveryStatus | null {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
    case 'sending':
      return 'queued';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
    case 'canceled':
      return 'failed';
    default:
      return null;
  }
}

/** Sends Twilio's REST requests to another base URL (a regional endpoint, or a local server in tests). */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL) {
    super();
  }

  request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    const target = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: this.base.href.replace(/\/$/, '') + target.pathname + target.search });
  }
}

/** Twilio's own SDK: verifies its webhook signatures (SMS and voice), and sends SMS through its REST API. */
@Injectable()
export class TwilioSmsClient implements ChannelSender {
  private readonly client: ReturnType<typeof twilio> | null;

  constructor(@InjectConfig() private readonly config: ResolvedConfig) {
    const t = config.twilio;
    this.client = t ? twilio(t.accountSid, t.authToken, { httpClient: t.apiBaseUrl ? new RebasedRequestClient(new URL(t.apiBaseUrl)) : undefined }) : null;
  }

  /**
   * Checks X-Twilio-Signature over the URL Twilio called (our public URL, as configured: behind a
   * proxy the request's own host is not the one Twilio signed) and the POSTed fields.
   */
  verifySignature(signature: string | undefined, pathWithQuery: string, fields: Record<string, string>): void {
    const t = this.config.twilio;
    if (!t) throw new DomainError(ErrorCode.ChannelUnavailable, 'Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    if (!signature) throw new DomainError(ErrorCode.Forbidden, 'missing X-Twilio-Signature');
    if (!twilio.validateRequest(t.authToken, signature, this.config.publicUrl + pathWithQuery, fields)) {
      throw new DomainError(ErrorCode.Forbidden, 'X-Twilio-Signature does not match the request');
    }
  }

  /** The REST client itself, for the voice channel's calls. */
  api(): ReturnType<typeof twilio> {
    if (!this.client) throw new DomainError(ErrorCode.ChannelUnavailable, 'Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    return this.client;
  }

  send(message: OutboundMessage): Promise<{ status: DeliveryStatus; providerMessageId: string }> {
    return this.sendSms({ to: message.to, from: message.from, body: message.body });
  }

  /** One SMS through Twilio's REST API, from our number the conversation used (or the default one). */
  async sendSms(sms: { to: string; from: string | null; body: string }): Promise<{ status: DeliveryStatus; providerMessageId: string }> {
    if (!this.client) throw new DeliveryFailure('Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)', 'not_configured', false);
    const from = sms.from ?? this.config.sms.fromNumber;
    if (!from) throw new DeliveryFailure('no number to send from: the contact has none and SMS_FROM_NUMBER is unset', 'no_sender', true);
    try {
      const sent = await this.client.messages.create({
        to: sms.to,
        from,
        body: sms.body,
        statusCallback: this.config.publicUrl + TWILIO_SMS_STATUS_PATH,
      });
      return { status: deliveryStatusOfTwilio(sent.status) ?? 'queued', providerMessageId: sent.sid };
    } catch (e) {
      const status = (e as { status?: number }).status;
      const code = (e as { code?: number }).code;
      // a 4xx is Twilio refusing this message (bad number, opted out, bad request): trying again changes nothing;
      // 429, 5xx and network errors may pass on a later try
      const permanent = typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
      throw new DeliveryFailure(`Twilio: ${(e as Error).message}`, code !== undefined ? String(code) : status !== undefined ? `http_${status}` : 'network', permanent);
    }
  }
}
