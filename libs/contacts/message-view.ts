import type { MessageView } from '@cc/shared';

/** The columns toMessageView needs, in the query that loads messages. */
export const MESSAGE_VIEW_COLUMNS = `m.id, m.contact_id, m.direction, m.author_type, m.author_id, m.body, m.client_message_id,
  m.created_at, au.name AS author_name`;
export const MESSAGE_VIEW_JOIN = `LEFT JOIN users au ON au.id = m.author_id`;

export interface MessageRow {
  id: string;
  contact_id: string;
  direction: MessageView['direction'];
  author_type: MessageView['author']['type'];
  author_id: string | null;
  author_name: string | null;
  body: string;
  client_message_id: string | null;
  created_at: Date;
}

export const toMessageView = (r: MessageRow): MessageView => ({
  id: r.id,
  contactId: r.contact_id,
  direction: r.direction,
  author: { type: r.author_type, id: r.author_id, name: r.author_name },
  text: r.body,
  clientMessageId: r.client_message_id,
  createdAt: new Date(r.created_at).toISOString(),
});
