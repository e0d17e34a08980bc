import type { AttachmentView, DeliveryStatus, MessageView } from '@cc/shared';

/** The columns toMessageView needs, in the query that loads messages. */
export const MESSAGE_VIEW_COLUMNS = `m.id, m.contact_id, m.direction, m.author_type, m.author_id, m.body, m.client_message_id,
  m.created_at, au.name AS author_name, m.subject, m.html, m.full_body, m.delivery_status, m.delivery_error_code, m.delivery_error,
  (SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'contentType', a.content_type, 'size', a.size,
                                     'stored', a.content IS NOT NULL, 'url', a.url) ORDER BY a.position)
     FROM message_attachments a WHERE a.message_id = m.id) AS attachments`;
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
  subject: string | null;
  html: string | null;
  full_body: string | null;
  delivery_status: DeliveryStatus | null;
  delivery_error_code: string | null;
  delivery_error: string | null;
  attachments: { id: string; filename: string; contentType: string; size: number; stored: boolean; url: string | null }[] | null;
}

/** Where an agent's client fetches a stored attachment (authenticated, like the rest of the contact). */
export const attachmentPath = (contactId: string, attachmentId: string) => `/contacts/${contactId}/attachments/${attachmentId}`;

export const toMessageView = (r: MessageRow): MessageView => {
  const view: MessageView = {
    id: r.id,
    contactId: r.contact_id,
    direction: r.direction,
    author: { type: r.author_type, id: r.author_id, name: r.author_name },
    text: r.body,
    clientMessageId: r.client_message_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
  // channel specifics only where present, so a web-chat message stays as small as it was
  if (r.subject !== null && r.subject !== undefined) view.subject = r.subject;
  if (r.html) view.html = r.html;
  if (r.full_body) view.fullText = r.full_body;
  if (r.attachments?.length) view.attachments = r.attachments.map((a): AttachmentView => ({
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    url: a.stored ? attachmentPath(r.contact_id, a.id) : a.url,
  }));
  if (r.delivery_status) view.delivery = { status: r.delivery_status, errorCode: r.delivery_error_code, error: r.delivery_error };
  return view;
};
