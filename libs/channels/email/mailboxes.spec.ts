import { Mailboxes } from './mailboxes';

const mailboxes = new Mailboxes({
  email: {
    addresses: new Map([
      ['support@example.com', 'Support'],
      ['sales@example.com', 'Sales'],
    ]),
    maxAttachmentBytes: 1000,
    fromName: 'Support',
  },
});
const contactId = 'c8f3a1b2-0d4e-4f5a-9b6c-7d8e9f0a1b2c';

describe('Mailboxes', () => {
  it('accepts the configured mailboxes in any case and maps each to its queue', () => {
    expect(mailboxes.match('Support@Example.com')).toEqual({ mailbox: 'support@example.com', queueName: 'Support', contactToken: null });
    expect(mailboxes.match('sales@example.com')?.queueName).toBe('Sales');
  });

  it('refuses anything else', () => {
    for (const r of ['billing@example.com', 'support@example.org', 'not an address', 'support@@example.com', '']) expect(mailboxes.match(r)).toBeNull();
  });

  it('reads back the conversation a reply-to address names, and ignores a tag that is not one', () => {
    const replyTo = mailboxes.replyToFor('support@example.com', contactId);
    expect(replyTo).toBe('support+c8f3a1b20d4e4f5a9b6c7d8e9f0a1b2c@example.com');
    expect(mailboxes.match(replyTo)).toEqual({ mailbox: 'support@example.com', queueName: 'Support', contactToken: contactId });
    expect(mailboxes.match('support+newsletter@example.com')).toEqual({ mailbox: 'support@example.com', queueName: 'Support', contactToken: null });
  });

  it('prefers the recipient that names a conversation', () => {
    const replyTo = mailboxes.replyToFor('sales@example.com', contactId);
    expect(mailboxes.firstMatch(['someone@else.com', 'support@example.com', replyTo])?.contactToken).toBe(contactId);
    expect(mailboxes.firstMatch(['someone@else.com'])).toBeNull();
  });

  it('sends from the mailbox the customer wrote to, else the first one', () => {
    expect(mailboxes.senderFor('sales@example.com')).toBe('sales@example.com');
    expect(mailboxes.senderFor('gone@example.com')).toBe('support@example.com');
    expect(mailboxes.senderFor(null)).toBe('support@example.com');
    expect(mailboxes.messageIdFor('sales@example.com', contactId)).toBe(`<${contactId}@example.com>`);
  });
});
