import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { EmailPayloadError } from './email-payload-error';
import { parseRawEmail } from './parse-raw-email';

const limits = { maxAttachmentBytes: 1024 };

function compose(options: Mail.Options): Promise<Buffer> {
  return new MailComposer(options).compile().build();
}

/** What Postfix sends back for an unknown recipient: multipart/report with the whole original message. */
const POSTFIX_DSN = [
  'Return-Path: <>',
  'Received: by mx.example.net (Postfix) id 8F1D1A0124; Mon,  3 Mar 2025 10:00:05 +0000 (UTC)',
  'Date: Mon,  3 Mar 2025 10:00:05 +0000 (UTC)',
  'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
  'Subject: Undelivered Mail Returned to Sender',
  'To: support@acme.test',
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="8F1D1A0123.1740996005/mx.example.net"',
  'Content-Transfer-Encoding: 7bit',
  'Message-Id: <20250303100005.8F1D1A0124@mx.example.net>',
  '',
  'This is a MIME-encapsulated message.',
  '',
  '--8F1D1A0123.1740996005/mx.example.net',
  'Content-Description: Notification',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'This is the mail system at host mx.example.net.',
  '',
  "I'm sorry to have to inform you that your message could not",
  'be delivered to one or more recipients. It\'s attached below.',
  '',
  '<nobody@customer.test>: host mx.customer.test[203.0.113.5] said: 550 5.1.1',
  '    <nobody@customer.test>: Recipient address rejected: User unknown in virtual',
  '    mailbox table (in reply to RCPT TO command)',
  '',
  '--8F1D1A0123.1740996005/mx.example.net',
  'Content-Description: Delivery report',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.example.net',
  'X-Postfix-Queue-ID: 8F1D1A0123',
  'X-Postfix-Sender: rfc822; support@acme.test',
  'Arrival-Date: Mon,  3 Mar 2025 10:00:03 +0000 (UTC)',
  '',
  'Final-Recipient: rfc822; Nobody@customer.test',
  'Original-Recipient: rfc822;Nobody@customer.test',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; mx.customer.test',
  'Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.test>: Recipient address',
  '    rejected: User unknown in virtual mailbox table',
  '',
  '--8F1D1A0123.1740996005/mx.example.net',
  'Content-Description: Undelivered Message',
  'Content-Type: message/rfc822',
  '',
  'Return-Path: <support@acme.test>',
  'From: Acme Support <support@acme.test>',
  'To: nobody@customer.test',
  'Subject: Re: your order',
  'Message-ID: <ticket-42.abc@acme.test>',
  'Date: Mon, 03 Mar 2025 10:00:02 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello, your order has shipped.',
  '',
  '--8F1D1A0123.1740996005/mx.example.net--',
  '',
].join('\r\n');

/** Exim's plain-text bounce: no multipart/report, the original pasted into the body. */
const EXIM_BOUNCE = [
  'Return-path: <>',
  'From: Mail Delivery System <Mailer-Daemon@mx.customer.test>',
  'To: support@acme.test',
  'Subject: Mail delivery failed: returning message to sender',
  'Message-Id: <E1tP0a1-0001Ab-2c@mx.customer.test>',
  'Date: Tue, 04 Mar 2025 08:15:00 +0000',
  '',
  'This message was created automatically by mail delivery software.',
  '',
  'A message that you sent could not be delivered to one or more of its',
  'recipients. This is a permanent error. The following address(es) failed:',
  '',
  '  gone@customer.test',
  '    host mx.customer.test [203.0.113.9]',
  '    SMTP error from remote mail server after RCPT TO:<gone@customer.test>:',
  '    550 5.1.1 <gone@customer.test>: Recipient address rejected: User unknown',
  '',
  '------ This is a copy of the message, including all the headers. ------',
  '',
  'Return-path: <support@acme.test>',
  'From: Acme Support <support@acme.test>',
  'To: gone@customer.test',
  'Subject: Your ticket #77',
  'Message-ID: <ticket-77.xyz@acme.test>',
  'Date: Tue, 04 Mar 2025 08:14:58 +0000',
  '',
  'We have updated your ticket.',
  '',
].join('\r\n');

describe('parseRawEmail', () => {
  it('keeps ids, threading, bodies, addresses and attachments of a composed reply', async () => {
    const raw = await compose({
      from: '"Jane Customer" <Jane.Doe@Customer.TEST>',
      to: 'Acme Support <support@acme.test>',
      cc: 'ops@acme.test, jane.doe@customer.test',
      subject: 'Re: Order #1001',
      messageId: '<reply-1@customer.test>',
      inReplyTo: '<ticket-1@acme.test>',
      references: ['<order-1@acme.test>', '<ticket-1@acme.test>'],
      date: new Date('2025-03-01T09:30:00Z'),
      text: 'It arrived broken.\n\nJane',
      html: '<p>It arrived <b>broken</b>.</p><img src="cid:photo@customer.test">',
      attachments: [
        { filename: 'photo.png', content: Buffer.alloc(300, 7), contentType: 'image/png', cid: 'photo@customer.test' },
        { filename: 'receipt.txt', content: 'order 1001, paid' },
        { filename: 'video.mp4', content: Buffer.alloc(5000, 1), contentType: 'video/mp4' },
      ],
    });

    const email = await parseRawEmail(raw, limits);

    expect(email.from).toEqual({ address: 'jane.doe@customer.test', name: 'Jane Customer' });
    expect(email.to).toEqual(['support@acme.test', 'ops@acme.test', 'jane.doe@customer.test']);
    expect(email.subject).toBe('Re: Order #1001');
    expect(email.messageId).toBe('<reply-1@customer.test>');
    expect(email.inReplyTo).toBe('<ticket-1@acme.test>');
    expect(email.references).toEqual(['<order-1@acme.test>', '<ticket-1@acme.test>']);
    expect(email.text.trim()).toBe('It arrived broken.\n\nJane');
    // the html is untouched: the cid: link is not inlined as a data: url
    expect(email.html).toBe('<p>It arrived <b>broken</b>.</p><img src="cid:photo@customer.test">');
    expect(email.date).toBe('2025-03-01T09:30:00.000Z');
    expect(email.autoSubmitted).toBe(false);
    expect(email.bounce).toBeNull();

    const byName = Object.fromEntries(email.attachments.map((a) => [a.filename, a]));
    expect(Object.keys(byName).sort()).toEqual(['photo.png', 'receipt.txt', 'video.mp4']);
    expect(byName['receipt.txt']).toEqual({
      filename: 'receipt.txt',
      contentType: 'text/plain',
      size: 16,
      contentBase64: Buffer.from('order 1001, paid').toString('base64'),
    });
    expect(byName['photo.png']?.contentBase64).toBe(Buffer.alloc(300, 7).toString('base64'));
    // over the limit: metadata kept, content dropped
    expect(byName['video.mp4']).toEqual({ filename: 'video.mp4', contentType: 'video/mp4', size: 5000, contentBase64: null });
  });

  it('uses the envelope recipients and falls back to the envelope sender', async () => {
    const raw = 'From: not an address\r\nTo: someone-else@acme.test\r\nSubject: hi\r\n\r\nbody\r\n';
    const email = await parseRawEmail(raw, {
      ...limits,
      envelopeTo: ['Sales@Acme.test', 'sales@acme.test', 'bogus'],
      envelopeFrom: 'Bob@Example.com',
    });
    expect(email.to).toEqual(['sales@acme.test']);
    expect(email.from).toEqual({ address: 'bob@example.com', name: null });
  });

  it('derives the text from the html when there is no text part', async () => {
    // multipart/mixed with only an html part: mailparser leaves text empty there, so ours fills it in
    const raw = await compose({
      from: 'a@customer.test',
      to: 'support@acme.test',
      html: '<html><head><title>t</title><style>p{color:red}</style></head><body><p>Hello &amp; welcome</p><p>Line<br>two &lt;3</p><script>x()</script></body></html>',
      attachments: [{ filename: 'a.txt', content: 'a' }],
    });
    const email = await parseRawEmail(raw, limits);
    expect(email.text).toBe('Hello & welcome\nLine\ntwo <3');
    expect(email.html).toContain('<script>x()</script>');
  });

  it('leaves a missing or unparseable date null instead of inventing one', async () => {
    const raw = 'From: a@customer.test\r\nTo: b@acme.test\r\nDate: sometime soon\r\n\r\nx\r\n';
    expect((await parseRawEmail(raw, limits)).date).toBeNull();
  });

  it('marks an auto-reply as auto-submitted', async () => {
    const raw = await compose({
      from: 'jane@customer.test',
      to: 'support@acme.test',
      subject: 'Out of office',
      text: 'I am away until Monday.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const email = await parseRawEmail(raw, limits);
    expect(email.autoSubmitted).toBe(true);
    expect(email.bounce).toBeNull();
  });

  it('marks Precedence: bulk as auto-submitted but not a mailing-list reply on List-Id alone', async () => {
    const bulk = await compose({
      from: 'news@shop.test',
      to: 'support@acme.test',
      text: 'Our spring sale!',
      headers: { Precedence: 'bulk' },
    });
    const listReply = await compose({
      from: 'jane@customer.test',
      to: 'support@acme.test',
      text: 'Replying on the list',
      headers: { 'List-Id': '<users.lists.acme.test>', 'List-Unsubscribe': '<mailto:leave@lists.acme.test>' },
    });
    expect((await parseRawEmail(bulk, limits)).autoSubmitted).toBe(true);
    expect((await parseRawEmail(listReply, limits)).autoSubmitted).toBe(false);
  });

  it('reads a multipart/report DSN and keeps its report parts out of the attachments', async () => {
    const email = await parseRawEmail(POSTFIX_DSN, { ...limits, envelopeFrom: '' });

    expect(email.bounce).toEqual({
      originalMessageId: '<ticket-42.abc@acme.test>',
      recipient: 'nobody@customer.test',
      status: '5.1.1',
      diagnostic:
        '550 5.1.1 <nobody@customer.test>: Recipient address rejected: User unknown in virtual mailbox table',
    });
    expect(email.autoSubmitted).toBe(true);
    expect(email.attachments).toEqual([]);
    expect(email.from.address).toBe('mailer-daemon@mx.example.net');
    expect(email.messageId).toBe('<20250303100005.8F1D1A0124@mx.example.net>');
    expect(email.text).toContain('could not');
    expect(email.text).not.toContain('Final-Recipient');
  });

  it('reads the original Message-ID from a text/rfc822-headers part', async () => {
    const headersOnly = POSTFIX_DSN.replace('Content-Type: message/rfc822', 'Content-Type: text/rfc822-headers').replace(
      'Hello, your order has shipped.\r\n',
      '',
    );
    const email = await parseRawEmail(headersOnly, limits);
    expect(email.bounce?.originalMessageId).toBe('<ticket-42.abc@acme.test>');
    expect(email.attachments).toEqual([]);
  });

  it('recognises a plain MAILER-DAEMON bounce and digs the details out of the body', async () => {
    const email = await parseRawEmail(EXIM_BOUNCE, limits);
    expect(email.bounce).toEqual({
      originalMessageId: '<ticket-77.xyz@acme.test>',
      recipient: 'gone@customer.test',
      status: '5.1.1',
      diagnostic: '550 5.1.1 <gone@customer.test>: Recipient address rejected: User unknown',
    });
    expect(email.autoSubmitted).toBe(true);
  });

  it('does not call a customer message a bounce for its wording alone', async () => {
    const raw = await compose({
      from: 'jane@customer.test',
      to: 'support@acme.test',
      subject: 'Undelivered parcel',
      text: 'My parcel was returned to sender.',
    });
    const email = await parseRawEmail(raw, limits);
    expect(email.bounce).toBeNull();
    expect(email.autoSubmitted).toBe(false);
  });

  it('keeps a forwarded message/rfc822 attachment of ordinary mail', async () => {
    const inner = await compose({ from: 'x@y.test', to: 'z@y.test', subject: 'fwd', text: 'inner' });
    const raw = await compose({
      from: 'jane@customer.test',
      to: 'support@acme.test',
      text: 'see attached',
      attachments: [{ filename: 'original.eml', content: inner, contentType: 'message/rfc822', contentDisposition: 'attachment' }],
    });
    const email = await parseRawEmail(raw, { maxAttachmentBytes: 10_000 });
    expect(email.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
  });

  it('throws EmailPayloadError when there is no sender or no recipient', async () => {
    await expect(parseRawEmail('To: b@acme.test\r\n\r\nhi\r\n', limits)).rejects.toThrow(EmailPayloadError);
    await expect(parseRawEmail('From: a@customer.test\r\n\r\nhi\r\n', limits)).rejects.toThrow(/no recipient/);
    await expect(parseRawEmail('', limits)).rejects.toThrow(EmailPayloadError);
  });
});
