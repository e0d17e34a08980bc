import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Channel, ContactState, IdentityKind, InboundMessageJob, MessageView } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';
import { CustomersService } from '@cc/customers';
import { InjectConfig, signalRouting } from '@cc/platform';
import { recordContactEvent } from './contact-events';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from './message-view';

const IDENTITY_OF_CHANNEL: Record<Channel, IdentityKind> = { chat: 'webchat', sms: 'phone', voice: 'phone', email: 'email' };

export type IngestResult =
  /** seen before: nothing stored, nothing to deliver */
  | { duplicate: true }
  | {
      duplicate: false;
      contact: { id: string; state: ContactState; agentId: string | null; queueId: string; channel: Channel; address: string };
      /** a new contact was opened (and the router told, at commit) */
      opened: boolean;
      message: MessageView;
    };

/**
 * The common inbound path for every channel: recognise the customer, find their open contact on
 * that channel or open one, store the message. One transaction, idempotent on the message's external id.
 */
@Injectable()
export class InboundService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly customers: CustomersService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  ingest(job: InboundMessageJob): Promise<IngestResult> {
    const externalId = `${job.channel}:${job.address}:${job.externalId}`;
    return this.db.transaction(async (m): Promise<IngestResult> => {
      const customerId = await this.customers.resolve(m, {
        kind: IDENTITY_OF_CHANNEL[job.channel],
        value: job.address,
        name: job.profile?.name,
        email: job.profile?.email,
      });
      // resolve() holds the address lock from here on, so this check cannot race with a retry
      const seen = await m.query(`SELECT 1 FROM messages WHERE external_id = $1`, [externalId]);
      if (seen.length) return { duplicate: true };

      let [contact] = await m.query(
        `SELECT id, state, agent_id, queue_id, channel, address FROM contacts
          WHERE channel = $1 AND address = $2 AND state IN ('queued', 'offered', 'active', 'wrap_up')`,
        [job.channel, job.address],
      );
      const opened = !contact;
      if (opened) {
        // a returning customer goes to their last agent first, for the queue's sticky window
        [contact] = await m.query(
          `INSERT INTO contacts (customer_id, channel, address, queue_id, state, created_at, queued_at, queue_entered_at,
                                 preferred_agent_id, preferred_until)
           SELECT $1, $2, $3, q.id, 'queued', to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0),
                  last.agent_id, CASE WHEN last.agent_id IS NOT NULL AND q.sticky_seconds > 0
                                      THEN to_timestamp($5 / 1000.0) + make_interval(secs => q.sticky_seconds) END
             FROM queues q
             LEFT JOIN LATERAL (
               SELECT o.agent_id FROM contact_offers o JOIN contacts pc ON pc.id = o.contact_id
                WHERE pc.customer_id = $1 AND o.status = 'accepted' ORDER BY o.resolved_at DESC LIMIT 1) last ON true
            WHERE q.id = $4
           RETURNING id, state, agent_id, queue_id, channel, address`,
          [customerId, job.channel, job.address, job.queueId, job.receivedAt],
        );
        await recordContactEvent(m, {
          contactId: contact.id,
          type: 'queued',
          to: 'queued',
          actor: { type: 'customer', id: customerId },
          reason: 'new_contact',
        });
        await signalRouting(m, this.config.queuePrefix, [{ t: 'waiting', c: contact.id }]);
      }
      const [inserted] = await m.query(
        `INSERT INTO messages (contact_id, direction, author_type, body, external_id, client_message_id)
         VALUES ($1, 'inbound', 'customer', $2, $3, $4) RETURNING id`,
        [contact.id, job.text, externalId, job.externalId],
      );
      const [row]: MessageRow[] = await m.query(`SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN} WHERE m.id = $1`, [
        inserted.id,
      ]);
      return {
        duplicate: false,
        opened,
        contact: {
          id: contact.id,
          state: contact.state,
          agentId: contact.agent_id,
          queueId: contact.queue_id,
          channel: contact.channel,
          address: contact.address,
        },
        message: toMessageView(row),
      };
    });
  }
}
