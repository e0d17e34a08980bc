import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type Channel, DomainError, ErrorCode, type MessageView } from '@cc/shared';
import type { Principal } from '@cc/platform';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from './message-view';

export interface ContactEventView {
  id: string;
  type: string;
  fromState: string | null;
  toState: string | null;
  actor: { type: string; id: string | null; name: string | null };
  reason: string | null;
  data: Record<string, unknown>;
  at: string;
}

export interface ContactDetail {
  id: string;
  customerId: string;
  channel: string;
  address: string;
  /** our number or mailbox the customer wrote to */
  channelAddress: string | null;
  /** the closed email thread this contact continues */
  followsContactId: string | null;
  state: string;
  queue: { id: string; name: string };
  agentId: string | null;
  disposition: string | null;
  wrapUpNote: string | null;
  createdAt: string;
  queuedAt: string;
  answeredAt: string | null;
  closedAt: string | null;
  events: ContactEventView[];
  messages: MessageView[];
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Reading contacts: one in full, a customer's timeline, what a visitor or an agent may see. */
@Injectable()
export class ContactsQueryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async detail(id: string, reader: Principal): Promise<ContactDetail> {
    await this.assertMayRead(reader, id);
    const [detail] = await this.details([id]);
    if (!detail) throw new DomainError(ErrorCode.NotFound, `contact ${id} not found`);
    return detail;
  }

  /** A customer's contacts, newest first, each with its messages and state changes. */
  async timeline(customerId: string, page: number, pageSize: number, reader: Principal): Promise<Page<ContactDetail>> {
    await this.assertMayReadCustomer(reader, customerId);
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total FROM contacts WHERE customer_id = $1`, [customerId]);
    const ids: { id: string }[] = await this.db.query(
      `SELECT id FROM contacts WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [customerId, pageSize, (page - 1) * pageSize],
    );
    return { items: await this.details(ids.map((r) => r.id)), page, pageSize, total };
  }

  /**
   * Why the contact went where it went: every routing decision (the candidates weighed, why the winner
   * won, the step it was routed under) and every routing event around it, oldest first.
   */
  async routingLog(id: string, reader: Principal): Promise<{ contactId: string; decisions: ContactEventView[] }> {
    const detail = await this.detail(id, reader);
    const ROUTING_EVENTS = ['queued', 'offered', 'rejected', 'offer_timeout', 'accepted', 'overflowed', 'transferred', 'transfer_requested',
      'transfer_offered', 'transfer_rejected', 'transfer_offer_timeout', 'transfer_accepted', 'transfer_failed', 'transfer_cancelled', 'after_hours_action', 'abandoned'];
    return { contactId: id, decisions: detail.events.filter((e) => ROUTING_EVENTS.includes(e.type)) };
  }

  /** The contacts' messages in order; the customer's own view leaves out internal notes. */
  async messages(contactIds: string[], audience: 'staff' | 'customer' = 'staff'): Promise<MessageView[]> {
    if (contactIds.length === 0) return [];
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN}
        WHERE m.contact_id = ANY($1) AND ($2 = 'staff' OR m.direction <> 'internal') ORDER BY m.created_at, m.id`,
      [contactIds, audience],
    );
    return rows.map(toMessageView);
  }

  /** A stored attachment of one of the contact's messages, for a reader allowed to see the contact. */
  async attachment(contactId: string, attachmentId: string, reader: Principal): Promise<{ filename: string; contentType: string; content: Buffer }> {
    await this.assertMayRead(reader, contactId);
    const [row] = await this.db.query(
      `SELECT a.filename, a.content_type, a.content FROM message_attachments a JOIN messages m ON m.id = a.message_id
        WHERE a.id = $1 AND m.contact_id = $2 AND a.content IS NOT NULL`,
      [attachmentId, contactId],
    );
    if (!row) throw new DomainError(ErrorCode.NotFound, `attachment ${attachmentId} of contact ${contactId} not found (or too large to have been kept)`);
    return { filename: row.filename, contentType: row.content_type, content: row.content };
  }

  /** The open contact a customer address has on a conversation channel (chat, SMS, voice; email is threaded), if any. */
  async openContactOf(channel: Exclude<Channel, 'email'>, address: string): Promise<{ id: string; state: string; agentId: string | null; agentName: string | null } | null> {
    const [row] = await this.db.query(
      `SELECT c.id, c.state, c.agent_id, u.name AS agent_name FROM contacts c LEFT JOIN users u ON u.id = c.agent_id
        WHERE c.channel = $1 AND c.address = $2 AND c.state IN ('queued', 'offered', 'active', 'wrap_up')
          AND c.channel <> 'email' -- lets the planner use the one-open-conversation-per-address index`,
      [channel, address],
    );
    return row ? { id: row.id, state: row.state, agentId: row.agent_id, agentName: row.agent_name } : null;
  }

  /** Supervisors and admins read any contact; an agent only one offered or assigned to them. */
  async assertMayRead(reader: Principal, contactId: string): Promise<void> {
    if (reader.role !== 'agent') return;
    const rows = await this.db.query(
      `SELECT 1 FROM contacts WHERE id = $1 AND agent_id = $2
       UNION ALL SELECT 1 FROM contact_offers WHERE contact_id = $1 AND agent_id = $2 LIMIT 1`,
      [contactId, reader.id],
    );
    if (!rows.length) throw new DomainError(ErrorCode.NotFound, `contact ${contactId} not found`);
  }

  /** Supervisors and admins read any customer; an agent only those of contacts offered or assigned to them. */
  async assertMayReadCustomer(reader: Principal, customerId: string): Promise<void> {
    if (reader.role !== 'agent') return;
    const rows = await this.db.query(
      `SELECT 1 FROM contacts c WHERE c.customer_id = $1
          AND (c.agent_id = $2 OR EXISTS (SELECT 1 FROM contact_offers o WHERE o.contact_id = c.id AND o.agent_id = $2)) LIMIT 1`,
      [customerId, reader.id],
    );
    if (!rows.length) throw new DomainError(ErrorCode.NotFound, `customer ${customerId} not found`);
  }

  private async details(ids: string[]): Promise<ContactDetail[]> {
    if (ids.length === 0) return [];
    const contacts = await this.db.query(
      `SELECT c.*, q.name AS queue_name FROM contacts c JOIN queues q ON q.id = c.queue_id WHERE c.id = ANY($1)`,
      [ids],
    );
    const events = await this.db.query(
      `SELECT e.*, u.name AS actor_name FROM contact_events e LEFT JOIN users u ON u.id = e.actor_id
        WHERE e.contact_id = ANY($1) ORDER BY e.id`,
      [ids],
    );
    const messages = await this.messages(ids);
    const byId = new Map<string, any>(contacts.map((c: any) => [c.id, c]));
    return ids
      .filter((id) => byId.has(id))
      .map((id) => {
        const c = byId.get(id);
        return {
          id: c.id,
          customerId: c.customer_id,
          channel: c.channel,
          address: c.address,
          channelAddress: c.channel_address,
          followsContactId: c.follows_contact_id,
          state: c.state,
          queue: { id: c.queue_id, name: c.queue_name },
          agentId: c.agent_id,
          disposition: c.disposition,
          wrapUpNote: c.wrap_up_note,
          createdAt: iso(c.created_at)!,
          queuedAt: iso(c.queued_at)!,
          answeredAt: iso(c.answered_at),
          closedAt: iso(c.closed_at),
          events: events
            .filter((e: any) => e.contact_id === id)
            .map((e: any) => ({
              id: String(e.id),
              type: e.type,
              fromState: e.from_state,
              toState: e.to_state,
              actor: { type: e.actor_type, id: e.actor_id, name: e.actor_name },
              reason: e.reason,
              data: e.data,
              at: iso(e.created_at)!,
            })),
          messages: messages.filter((m) => m.contactId === id),
        };
      });
  }
}
