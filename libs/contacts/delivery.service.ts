import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Channel, DeliveryStatus, DeliveryView } from '@cc/shared';
import { RealtimeService, updateReturning } from '@cc/platform';

/** How far along each status is: a late callback never moves a message backwards. */
const PROGRESS: Record<DeliveryStatus, number> = { pending: 0, retrying: 1, queued: 2, sent: 3, delivered: 4, undelivered: 4, failed: 4 };

export interface DeliveryUpdate {
  status: DeliveryStatus;
  errorCode?: string | null;
  error?: string | null;
  providerMessageId?: string;
}

/** An outbound message as its channel needs it to send. */
export interface OutboundMessage {
  id: string;
  contactId: string;
  channel: Channel;
  /** the customer's number or mailbox */
  to: string;
  /** our number or mailbox the contact came in on, if known */
  from: string | null;
  body: string;
  /** sent by the system (an automatic reply), not by a person */
  automatic: boolean;
  status: DeliveryStatus;
  providerMessageId: string | null;
}

/**
 * Delivery of outbound SMS and email, as the rest of the system sees it: the status each message is
 * in, moved only forward, the agent holding the contact told of each change, and a failure written
 * to the contact's event log (where supervisors see it).
 */
@Injectable()
export class DeliveryService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly realtime: RealtimeService,
  ) {}

  async load(messageId: string): Promise<OutboundMessage | null> {
    const [r] = await this.db.query(
      `SELECT m.id, m.contact_id, c.channel, c.address, c.channel_address, m.body, m.author_type, m.delivery_status, m.provider_message_id
         FROM messages m JOIN contacts c ON c.id = m.contact_id
        WHERE m.id = $1 AND m.direction = 'outbound' AND m.delivery_status IS NOT NULL`,
      [messageId],
    );
    if (!r) return null;
    return {
      id: r.id,
      contactId: r.contact_id,
      channel: r.channel,
      to: r.address,
      from: r.channel_address,
      body: r.body,
      automatic: r.author_type === 'system',
      status: r.delivery_status,
      providerMessageId: r.provider_message_id,
    };
  }

  /**
   * Moves a message (by our id) to a new status; answers false when it was already past it. Once
   * the provider's id is known, a status callback that came before it is applied too.
   */
  async update(messageId: string, u: DeliveryUpdate): Promise<boolean> {
    const moved = await this.apply(`m.id = $1`, messageId, u);
    if (u.providerMessageId) {
      const [early] = await updateReturning<{ status: DeliveryStatus; error_code: string | null; error: string | null }>(
        this.db,
        `DELETE FROM early_delivery_statuses WHERE provider_message_id = $1 RETURNING status, error_code, error`,
        [u.providerMessageId],
      );
      if (early) await this.apply(`m.id = $1`, messageId, { status: early.status, errorCode: early.error_code, error: early.error });
    }
    return moved;
  }

  /**
   * The same, for a provider's callback that names the message by the provider's id. A callback can
   * outrun the answer to our send request (which is when we learn the id): then it is kept, furthest
   * status first, and applied when the id arrives.
   */
  async updateByProviderId(providerMessageId: string, u: DeliveryUpdate): Promise<boolean> {
    const moved = await this.apply(`m.provider_message_id = $1 AND m.direction = 'outbound'`, providerMessageId, u);
    if (moved) return true;
    const [known] = await this.db.query(`SELECT 1 FROM messages WHERE provider_message_id = $1 AND direction = 'outbound'`, [providerMessageId]);
    if (known) return false;
    await this.db.query(
      `INSERT INTO early_delivery_statuses (provider_message_id, status, error_code, error) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider_message_id) DO UPDATE SET status = EXCLUDED.status, error_code = EXCLUDED.error_code, error = EXCLUDED.error
        WHERE ($5::jsonb ->> early_delivery_statuses.status)::int < ($5::jsonb ->> EXCLUDED.status)::int`,
      [providerMessageId, u.status, u.errorCode ?? null, u.error ?? null, JSON.stringify(PROGRESS)],
    );
    return false;
  }

  /** Outbound messages whose delivery job may have been lost: stored but never handed over, or stuck retrying. */
  async stalled(limit = 500): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM messages
        WHERE (delivery_status = 'pending' AND created_at < now() - interval '30 seconds')
           OR (delivery_status = 'retrying' AND delivery_updated_at < now() - interval '15 minutes')
        ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Applies early statuses whose message id has arrived since (closing the race between a callback
   * being kept and the id being written), and forgets those nobody claimed within a day.
   */
  async settleEarlyStatuses(): Promise<number> {
    const rows = await updateReturning<{ provider_message_id: string; status: DeliveryStatus; error_code: string | null; error: string | null }>(
      this.db,
      `DELETE FROM early_delivery_statuses e USING messages m
        WHERE m.provider_message_id = e.provider_message_id AND m.direction = 'outbound'
        RETURNING e.provider_message_id, e.status, e.error_code, e.error`,
      [],
    );
    for (const r of rows) await this.apply(`m.provider_message_id = $1 AND m.direction = 'outbound'`, r.provider_message_id, { status: r.status, errorCode: r.error_code, error: r.error });
    await this.db.query(`DELETE FROM early_delivery_statuses WHERE received_at < now() - interval '1 day'`);
    return rows.length;
  }

  private async apply(where: string, key: string, u: DeliveryUpdate): Promise<boolean> {
    const [row] = await this.db.query(
      `WITH target AS (
         SELECT m.id FROM messages m
          WHERE ${where} AND m.delivery_status IS NOT NULL
            AND (($3::jsonb ->> m.delivery_status)::int < ($3::jsonb ->> $2::text)::int OR (m.delivery_status = 'retrying' AND $2 = 'retrying'))
          FOR UPDATE
       ), updated AS (
         UPDATE messages m SET delivery_status = $2, delivery_error_code = $4, delivery_error = $5, delivery_updated_at = now(),
                               provider_message_id = COALESCE($6, m.provider_message_id)
           FROM target WHERE m.id = target.id
         RETURNING m.id, m.contact_id
       ), event AS (
         INSERT INTO contact_events (contact_id, type, actor_type, reason, data)
         SELECT contact_id, 'delivery_failed', 'system', $5, jsonb_build_object('messageId', id, 'errorCode', $4::text)
           FROM updated WHERE $2 IN ('failed', 'undelivered')
       )
       SELECT updated.id, updated.contact_id, c.agent_id FROM updated JOIN contacts c ON c.id = updated.contact_id`,
      [key, u.status, JSON.stringify(PROGRESS), u.errorCode ?? null, u.error ?? null, u.providerMessageId ?? null],
    );
    if (!row) return false;
    const delivery: DeliveryView = { status: u.status, errorCode: u.errorCode ?? null, error: u.error ?? null };
    const event = { contactId: row.contact_id, messageId: row.id, delivery };
    if (row.agent_id) await this.realtime.toAgent(row.agent_id, 'message:status', event);
    await this.realtime.toMonitors(row.contact_id, 'message:status', event);
    return true;
  }
}

/**
 * A channel's provider refused or failed a send. Permanent failures (an invalid number, an opted-out
 * recipient, a rejected address) are not retried; others are, with backoff.
 */
export class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** What an outbound channel adapter provides: sending one stored message. */
export interface ChannelSender {
  /** answers the status the provider accepted the message in, and its id there */
  send(message: OutboundMessage): Promise<{ status: DeliveryStatus; providerMessageId: string }>;
}
