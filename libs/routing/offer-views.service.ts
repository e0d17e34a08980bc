import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AgentContactView, OfferView } from '@cc/shared';
import { preparedQuery } from '@cc/platform';
import { CONTACT_VIEW_COLUMNS, CONTACT_VIEW_JOIN, type ContactViewRow, HISTORY_COLUMN, type OfferViewRow, toContactView, toOfferView } from './agent-views';

/** Builds what an agent sees of an offer or a contact they hold: the customer, the conversation, the history. */
@Injectable()
export class OfferViewsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Many offers at once, in one query (the routing leader's pass gets its offers' views from the statement that writes them). */
  async offers(offerIds: string[]): Promise<Map<string, OfferView>> {
    if (offerIds.length === 0) return new Map();
    const rows = await preparedQuery<OfferViewRow>(
      this.db,
      `SELECT o.id AS offer_id, o.expires_at, c.queued_at, ${CONTACT_VIEW_COLUMNS}, ${HISTORY_COLUMN}
         FROM contact_offers o JOIN contacts c ON c.id = o.contact_id ${CONTACT_VIEW_JOIN}
        WHERE o.id = ANY($1)`,
      [offerIds],
    );
    return new Map(rows.map((r) => [r.offer_id, toOfferView(r)]));
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
    const [row] = await this.db.query(`SELECT ${CONTACT_VIEW_COLUMNS} FROM contacts c ${CONTACT_VIEW_JOIN} WHERE c.id = $1`, [contactId]);
    return toContactView(row);
  }

  async heldContactsOf(agentId: string): Promise<AgentContactView[]> {
    const rows: ContactViewRow[] = await this.db.query(
      `SELECT ${CONTACT_VIEW_COLUMNS} FROM contacts c ${CONTACT_VIEW_JOIN}
        WHERE c.agent_id = $1 AND c.state IN ('active', 'wrap_up') ORDER BY c.answered_at`,
      [agentId],
    );
    return rows.map(toContactView);
  }
}
