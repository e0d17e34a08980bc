import type { ResolvedConfig } from '@cc/config';

export interface RecipientMatch {
  /** the configured mailbox, without any +tag */
  mailbox: string;
  queueName: string;
  /** the contact named by a +tag (support+<contact id>@…), if the tag is one */
  contactToken: string | null;
}

/**
 * Our support mailboxes and the plus-addresses we give each conversation. Replies go out with
 * Reply-To support+<contact id>@…, so a customer's answer finds its conversation even when their
 * mail client drops the threading headers.
 */
export class Mailboxes {
  constructor(private readonly config: Pick<ResolvedConfig, 'email'>) {}

  /** A recipient we accept mail for, or null (refused at RCPT time over SMTP). */
  match(recipient: string): RecipientMatch | null {
    const m = /^([^@+\s]+)(?:\+([^@\s]*))?@([^@\s]+)$/.exec(recipient.trim().toLowerCase());
    if (!m) return null;
    const mailbox = `${m[1]}@${m[3]}`;
    const queueName = this.config.email.addresses.get(mailbox);
    if (!queueName) return null;
    return { mailbox, queueName, contactToken: m[2] && /^[0-9a-f]{32}$/.test(m[2]) ? uuidOfToken(m[2]) : null };
  }

  /** The first recipient we take mail for, preferring one that names a conversation. */
  firstMatch(recipients: string[]): RecipientMatch | null {
    const matches = recipients.map((r) => this.match(r)).filter((r): r is RecipientMatch => r !== null);
    return matches.find((r) => r.contactToken) ?? matches[0] ?? null;
  }

  /** The mailbox replies come from: the one the customer wrote to if it is still ours, else the first configured. */
  senderFor(channelAddress: string | null): string {
    if (channelAddress && this.config.email.addresses.has(channelAddress)) return channelAddress;
    const [first] = this.config.email.addresses.keys();
    return first;
  }

  replyToFor(mailbox: string, contactId: string): string {
    const [local, domain] = mailbox.split('@');
    return `${local}+${contactId.replace(/-/g, '')}@${domain}`;
  }

  /** Our Message-ID for an outbound message: derived from its id, so every retry sends the same one. */
  messageIdFor(mailbox: string, messageId: string): string {
    return `<${messageId}@${mailbox.split('@')[1]}>`;
  }
}

const uuidOfToken = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
