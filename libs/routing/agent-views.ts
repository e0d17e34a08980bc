import type { AgentContactView, Channel, ContactState, CustomerSummary, OfferView, PastContactSummary } from '@cc/shared';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from '@cc/contacts';

/** how many of the customer's earlier contacts an offer shows */
const HISTORY_LIMIT = 10;

/**
 * Everything an agent's view needs of a contact `c`, joined to its queue `q` and customer `cu`, as
 * columns of one row: the messages and the customer's history come as JSON arrays, so a view costs
 * one query however many contacts it covers (round trips, not rows, are what costs here). A
 * statement that changes a contact can select these too and answer with the view in the same trip.
 */
export const CONTACT_VIEW_COLUMNS = `c.id AS contact_id, c.channel, c.state, q.id AS queue_id, q.name AS queue_name,
  cu.id AS cu_id, cu.name AS cu_name, cu.email AS cu_email, cu.phone AS cu_phone, cu.tier AS cu_tier,
  cu.preferences AS cu_preferences, cu.notes AS cu_notes,
  (SELECT COALESCE(json_agg(mv ORDER BY mv.created_at, mv.id), '[]')
     FROM (SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN} WHERE m.contact_id = c.id) mv) AS messages`;
export const CONTACT_VIEW_JOIN = `JOIN queues q ON q.id = c.queue_id JOIN customers cu ON cu.id = c.customer_id`;

/** The customer's earlier contacts, newest first, each with its last message: for offers. */
export const HISTORY_COLUMN = `(SELECT COALESCE(json_agg(h ORDER BY h.created_at DESC), '[]') FROM (
    SELECT p.id, p.channel, p.state, pq.name AS queue, p.created_at, p.closed_at, p.disposition, p.wrap_up_note,
           (SELECT lm.body FROM messages lm WHERE lm.contact_id = p.id ORDER BY lm.created_at DESC LIMIT 1) AS last_message
      FROM contacts p JOIN queues pq ON pq.id = p.queue_id
     WHERE p.customer_id = cu.id AND p.id <> c.id ORDER BY p.created_at DESC LIMIT ${HISTORY_LIMIT}) h) AS history`;

export interface ContactViewRow {
  contact_id: string;
  channel: Channel;
  state: ContactState;
  queue_id: string;
  queue_name: string;
  cu_id: string;
  cu_name: string | null;
  cu_email: string | null;
  cu_phone: string | null;
  cu_tier: string;
  cu_preferences: Record<string, unknown>;
  cu_notes: string | null;
  messages: MessageRow[];
}

const customerOf = (r: ContactViewRow): CustomerSummary => ({
  id: r.cu_id,
  name: r.cu_name,
  email: r.cu_email,
  phone: r.cu_phone,
  tier: r.cu_tier,
  preferences: r.cu_preferences,
  notes: r.cu_notes,
});

const iso = (d: string | null) => (d === null ? null : new Date(d).toISOString());

/** The agent's view of a contact they hold, from a row with CONTACT_VIEW_COLUMNS. */
export const toContactView = (r: ContactViewRow): AgentContactView => ({
  contactId: r.contact_id,
  channel: r.channel,
  state: r.state,
  queue: { id: r.queue_id, name: r.queue_name },
  customer: customerOf(r),
  messages: r.messages.map(toMessageView),
});

/** The columns an offer's view adds to CONTACT_VIEW_COLUMNS and HISTORY_COLUMN. */
export interface OfferViewRow extends ContactViewRow {
  offer_id: string;
  expires_at: Date | string;
  queued_at: Date | string;
  history: { id: string; channel: Channel; state: ContactState; queue: string; created_at: string; closed_at: string | null; disposition: string | null; wrap_up_note: string | null; last_message: string | null }[];
}

/** What the agent is offered: the contact's view, the customer's history, and until when the offer stands. */
export const toOfferView = (r: OfferViewRow): OfferView => ({
  offerId: r.offer_id,
  contactId: r.contact_id,
  channel: r.channel,
  queue: { id: r.queue_id, name: r.queue_name },
  expiresAt: new Date(r.expires_at).toISOString(),
  waitingSince: new Date(r.queued_at).toISOString(),
  customer: customerOf(r),
  messages: r.messages.map(toMessageView),
  history: r.history.map(
    (h): PastContactSummary => ({
      id: h.id,
      channel: h.channel,
      state: h.state,
      queue: h.queue,
      createdAt: iso(h.created_at)!,
      closedAt: iso(h.closed_at),
      disposition: h.disposition,
      wrapUpNote: h.wrap_up_note,
      lastMessage: h.last_message,
    }),
  ),
});
