import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { createTransport, type Transporter } from 'nodemailer';
import type { ResolvedConfig } from '@cc/config';
import type { DeliveryStatus } from '@cc/shared';
import { InjectConfig } from '@cc/platform';
import { type ChannelSender, DeliveryFailure, type OutboundMessage } from '@cc/contacts';
import { Mailboxes } from './mailboxes';

/** References grow with each reply; mail clients need the first and the latest few to thread. */
const MAX_REFERENCES = 20;

/**
 * Sends replies by SMTP (nodemailer) so they thread in the customer's mail client: our own
 * Message-ID, In-Reply-To the customer's latest message, References the whole thread (following
 * earlier contacts of the same thread), "Re:" the thread's subject, and a Reply-To plus-address
 * that names the conversation.
 */
@Injectable()
export class SmtpEmailSender implements ChannelSender, OnApplicationShutdown {
  private readonly transport: Transporter | null;
  private readonly mailboxes: Mailboxes;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {
    this.transport = config.email.relayUrl ? createTransport(config.email.relayUrl) : null;
    this.mailboxes = new Mailboxes(config);
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }

  async send(message: OutboundMessage): Promise<{ status: DeliveryStatus; providerMessageId: string }> {
    if (!this.transport) throw new DeliveryFailure('no SMTP relay is configured (SMTP_RELAY_URL)', 'not_configured', false);
    const thread = await this.thread(message.contactId);
    const mailbox = this.mailboxes.senderFor(message.from);
    const messageId = this.mailboxes.messageIdFor(mailbox, message.id);
    const references = thread.references.length > MAX_REFERENCES ? [thread.references[0], ...thread.references.slice(-(MAX_REFERENCES - 1))] : thread.references;
    try {
      await this.transport.sendMail({
        from: { name: this.config.email.fromName, address: mailbox },
        replyTo: this.mailboxes.replyToFor(mailbox, message.contactId),
        to: message.to,
        subject: thread.subject ? (/^re:/i.test(thread.subject) ? thread.subject : `Re: ${thread.subject}`) : 'Re: your message',
        text: message.body,
        messageId,
        inReplyTo: thread.lastInbound ?? undefined,
        references: references.length ? references : undefined,
        // RFC 3834: other systems' autoresponders must not answer our automatic replies
        headers: message.automatic ? { 'Auto-Submitted': 'auto-replied' } : undefined,
      });
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      // a 5xx from the relay is a refusal (bad address, policy): trying again changes nothing
      throw new DeliveryFailure(`SMTP: ${(e as Error).message}`, code ? `smtp_${code}` : 'network', typeof code === 'number' && code >= 500);
    }
    return { status: 'sent', providerMessageId: messageId };
  }

  /** The thread's subject, its Message-IDs in order, and the customer's latest, across the contacts it spans. */
  private async thread(contactId: string): Promise<{ subject: string | null; references: string[]; lastInbound: string | null }> {
    const rows: { direction: string; subject: string | null; provider_message_id: string | null }[] = await this.db.query(
      `WITH RECURSIVE chain AS (
         SELECT id, follows_contact_id, 0 AS depth FROM contacts WHERE id = $1
         UNION ALL
         SELECT c.id, c.follows_contact_id, chain.depth + 1 FROM contacts c JOIN chain ON c.id = chain.follows_contact_id WHERE chain.depth < 20
       )
       SELECT m.direction, m.subject, m.provider_message_id FROM messages m JOIN chain ON chain.id = m.contact_id
        WHERE m.direction <> 'internal' ORDER BY m.created_at, m.id`,
      [contactId],
    );
    const ids = rows.map((r) => r.provider_message_id).filter((id): id is string => !!id && id.startsWith('<'));
    const inbound = rows.filter((r) => r.direction === 'inbound');
    return {
      subject: inbound.find((r) => r.subject)?.subject ?? null,
      references: ids,
      lastInbound: [...inbound].reverse().find((r) => r.provider_message_id)?.provider_message_id ?? null,
    };
  }
}
