import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AgentContactView, OfferView } from '@cc/shared';
import { CustomersService } from '@cc/customers';
import { ContactsQueryService } from '@cc/contacts';

/** Builds what an agent sees of an offer or a contact they hold: the customer, the conversation, the history. */
@Injectable()
export class OfferViewsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly customers: CustomersService,
    private readonly contacts: ContactsQueryService,
  ) {}

  async offer(offerId: string): Promise<OfferView | null> {
    const [row] = await this.db.query(
      `SELECT o.id, o.expires_at, c.id AS contact_id, c.channel, c.customer_id, q.id AS queue_id, q.name AS queue_name
         FROM contact_offers o JOIN contacts c ON c.id = o.contact_id JOIN queues q ON q.id = c.queue_id
        WHERE o.id = $1`,
      [offerId],
    );
    if (!row) return null;
    const [customer, messages, history] = await Promise.all([
      this.customers.summary(row.customer_id),
      this.contacts.messages([row.contact_id]),
      this.contacts.history(row.customer_id, row.contact_id),
    ]);
    return {
      offerId: row.id,
      contactId: row.contact_id,
      channel: row.channel,
      queue: { id: row.queue_id, name: row.queue_name },
      expiresAt: new Date(row.expires_at).toISOString(),
      customer,
      messages,
      history,
    };
  }

  async pendingOffersOf(agentId: string): Promise<OfferView[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contact_offers WHERE agent_id = $1 AND status = 'pending' ORDER BY created_at`,
      [agentId],
    );
    const views = await Promise.all(rows.map((r) => this.offer(r.id)));
    return views.filter((v): v is OfferView => v !== null);
  }

  async contact(contactId: string): Promise<AgentContactView> {
    const [row] = await this.db.query(
      `SELECT c.id, c.channel, c.state, c.customer_id, q.id AS queue_id, q.name AS queue_name
         FROM contacts c JOIN queues q ON q.id = c.queue_id WHERE c.id = $1`,
      [contactId],
    );
    const [customer, messages] = await Promise.all([this.customers.summary(row.customer_id), this.contacts.messages([contactId])]);
    return {
      contactId: row.id,
      channel: row.channel,
      state: row.state,
      queue: { id: row.queue_id, name: row.queue_name },
      customer,
      messages,
    };
  }

  async heldContactsOf(agentId: string): Promise<AgentContactView[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contacts WHERE agent_id = $1 AND state IN ('active', 'wrap_up') ORDER BY answered_at`,
      [agentId],
    );
    return Promise.all(rows.map((r) => this.contact(r.id)));
  }
}
