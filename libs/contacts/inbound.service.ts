import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Channel, ContactState, IdentityKind, InboundMessageJob, MessageView } from '@cc/shared';
import { CustomersService } from '@cc/customers';
import { recordContactEvent } from './contact-events';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from './message-view';

const IDENTITY_OF_CHANNEL: Record<Channel, IdentityKind> = { chat: 'webchat', sms: 'phone', voice: 'phone', email: 'email' };

export type IngestResult =
  /** seen before; `waitingInQueue` is set when its contact still waits, in case the first attempt died before asking for routing */
  | { duplicate: true; waitingInQueue: string | null }
  | {
      duplicate: false;
      contact: { id: string; state: ContactState; agentId: string | null; queueId: string; channel: Channel; address: string };
      /** a new contact was opened and needs routing */
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
      const [seen] = await m.query(
        `SELECT c.state, c.queue_id FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.external_id = $1`,
        [externalId],
      );
      if (seen) return { duplicate: true, waitingInQueue: seen.state === 'queued' ? seen.queue_id : null };

      let [contact] = await m.query(
        `SELECT id, state, agent_id, queue_id, channel, address FROM contacts
          WHERE channel = $1 AND address = $2 AND state IN ('queued', 'offered', 'active', 'wrap_up')`,
        [job.channel, job.address],
      );
      const opened = !contact;
      if (opened) {
        [contact] = await m.query(
          `INSERT INTO contacts (customer_id, channel, address, queue_id, state, created_at, queued_at)
           VALUES ($1, $2, $3, $4, 'queued', to_timestamp($5 / 1000.0), to_timestamp($5 / 1000.0))
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
