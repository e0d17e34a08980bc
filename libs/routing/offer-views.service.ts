import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AgentContactView, CustomerSummary, OfferView } from '@cc/shared';
import { ContactsQueryService } from '@cc/contacts';

const CUSTOMER_COLUMNS = `cu.id AS cu_id, cu.name AS cu_name, cu.email AS cu_email, cu.phone AS cu_phone, cu.tier AS cu_tier,
  cu.preferences AS cu_preferences, cu.notes AS cu_notes`;

const customerOf = (r: any): CustomerSummary => ({
  id: r.cu_id,
  name: r.cu_name,
  email: r.cu_email,
  phone: r.cu_phone,
  tier: r.cu_tier,
  preferences: r.cu_preferences,
  notes: r.cu_notes,
});

/** Builds what an agent sees of an offer or a contact they hold: the customer, the conversation, the history. */
@Injectable()
export class OfferViewsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactsQueryService,
  ) {}

  /** Many offers at once, in a fixed number of queries: the routing leader delivers a whole pass's offers. */
  async offers(offerIds: string[]): Promise<Map<string, OfferView>> {
    if (offerIds.length === 0) return new Map();
    const rows = await this.db.query(
      `SELECT o.id, o.expires_at, c.queued_at, c.id AS contact_id, c.channel, q.id AS queue_id, q.name AS queue_name, ${CUSTOMER_COLUMNS}
         FROM contact_offers o JOIN contacts c ON c.id = o.contact_id JOIN queues q ON q.id = c.queue_id
         JOIN customers cu ON cu.id = c.customer_id
        WHERE o.id = ANY($1)`,
      [offerIds],
    );
    const contactIds = rows.map((r: any) => r.contact_id);
    const [messages, histories] = await Promise.all([
      this.contacts.messages(contactIds),
      this.contacts.histories([...new Set<string>(rows.map((r: any) => r.cu_id))], contactIds),
    ]);
    return new Map(
      rows.map((r: any): [string, OfferView] => [
        r.id,
        {
          offerId: r.id,
          contactId: r.contact_id,
          channel: r.channel,
          queue: { id: r.queue_id, name: r.queue_name },
          expiresAt: new Date(r.expires_at).toISOString(),
          waitingSince: new Date(r.queued_at).toISOString(),
          customer: customerOf(r),
          messages: messages.filter((m) => m.contactId === r.contact_id),
          history: histories.get(r.cu_id) ?? [],
        },
      ]),
    );
  }

  async pendingOffersOf(agentId: string): Promise<OfferView[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contact_offers WHERE agent_id = $1 AND status = 'pending' ORDER BY created_at`,
      [agentId],
    );
    const views = await this.offers(rows.map((r) => r.id));
    return rows.map((r) => views.get(r.id)).filter((v): v is OfferView => v !== undefined);
  }

  async contact(contactId: string): Promise<AgentContactView> {
    const [view] = await this.contactViews([contactId]);
    return view;
  }

  async heldContactsOf(agentId: string): Promise<AgentContactView[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contacts WHERE agent_id = $1 AND state IN ('active', 'wrap_up') ORDER BY answered_at`,
      [agentId],
    );
    return this.contactViews(rows.map((r) => r.id));
  }

  private async contactViews(contactIds: string[]): Promise<AgentContactView[]> {
    if (contactIds.length === 0) return [];
    const rows = await this.db.query(
      `SELECT c.id, c.channel, c.state, q.id AS queue_id, q.name AS queue_name, ${CUSTOMER_COLUMNS}
         FROM contacts c JOIN queues q ON q.id = c.queue_id JOIN customers cu ON cu.id = c.customer_id
        WHERE c.id = ANY($1)`,
      [contactIds],
    );
    const messages = await this.contacts.messages(contactIds);
    const byId = new Map<string, any>(rows.map((r: any) => [r.id, r]));
    return contactIds
      .filter((id) => byId.has(id))
      .map((id) => {
        const r = byId.get(id);
        return {
          contactId: r.id,
          channel: r.channel,
          state: r.state,
          queue: { id: r.queue_id, name: r.queue_name },
          customer: customerOf(r),
          messages: messages.filter((m) => m.contactId === id),
        };
      });
  }
}
