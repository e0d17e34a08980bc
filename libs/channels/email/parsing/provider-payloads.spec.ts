import MailComposer from 'nodemailer/lib/mail-composer';
import { EmailPayloadError, fromMailgun, fromPostmark, fromSendgrid, type UploadedFile } from './provider-payloads';

const limits = { maxAttachmentBytes: 1024 };
const png = Buffer.alloc(200, 9);
const pdf = Buffer.alloc(4000, 3);

function upload(fieldname: string, originalname: string, mimetype: string, buffer: Buffer): UploadedFile {
  return { fieldname, originalname, mimetype, size: buffer.length, buffer };
}

/** Shaped like the example on postmarkapp.com/developer/webhooks/inbound-webhook. */
function postmarkPayload(): Record<string, unknown> {
  return {
    FromName: 'Jane Customer',
    MessageStream: 'inbound',
    From: 'jane@customer.test',
    FromFull: { Email: 'Jane@Customer.test', Name: 'Jane Customer', MailboxHash: '' },
    To: '"Acme Support" <support+ticket42@acme.test>',
    ToFull: [{ Email: 'support+ticket42@acme.test', Name: 'Acme Support', MailboxHash: 'ticket42' }],
    Cc: '"Ops" <ops@acme.test>',
    CcFull: [{ Email: 'ops@acme.test', Name: 'Ops', MailboxHash: '' }],
    Bcc: '',
    BccFull: [],
    OriginalRecipient: 'support+ticket42@acme.test',
    Subject: 'Re: Order #1001',
    MessageID: '73e6d360-66eb-11e1-8e72-a8904824019b',
    ReplyTo: '',
    MailboxHash: 'ticket42',
    Date: 'Fri, 1 Aug 2014 16:45:32 -04:00',
    TextBody: 'It arrived broken.\n\nOn Thu, Jul 31, 2014 at 9:00 AM, Acme <support@acme.test> wrote:\n> Shipped!',
    HtmlBody: '<p>It arrived broken.</p>',
    StrippedTextReply: 'It arrived broken.',
    Tag: '',
    Headers: [
      { Name: 'X-Spam-Checker-Version', Value: 'SpamAssassin 3.3.1 (2010-03-16) onrs-ord-pm-inbound1.wildbit.com' },
      { Name: 'X-Spam-Status', Value: 'No' },
      { Name: 'X-Spam-Score', Value: '-0.1' },
      { Name: 'X-Spam-Tests', Value: 'DKIM_SIGNED,DKIM_VALID,DKIM_VALID_AU,SPF_PASS' },
      { Name: 'Received-SPF', Value: 'Pass (sender SPF authorized) identity=mailfrom; client-ip=209.85.160.180' },
      { Name: 'MIME-Version', Value: '1.0' },
      { Name: 'Message-ID', Value: '<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>' },
      { Name: 'In-Reply-To', Value: '<ticket-42@acme.test>' },
      { Name: 'References', Value: '<order-1001@acme.test>\r\n <ticket-42@acme.test>' },
    ],
    Attachments: [
      { Name: 'myimage.png', Content: png.toString('base64'), ContentType: 'image/png', ContentLength: 200, ContentID: 'myimage.png@01CE7342.75E71F80' },
      { Name: 'mypaper.pdf', Content: pdf.toString('base64'), ContentType: 'application/pdf', ContentLength: 4000 },
    ],
  };
}

/** The fields of a Mailgun route forward(), as documented and as posted (headers also flattened into fields). */
function mailgunFields(): Record<string, string> {
  const headers: Array<[string, string]> = [
    ['X-Mailgun-Incoming', 'Yes'],
    ['X-Envelope-From', '<jane@customer.test>'],
    ['Received', 'from mail-qk1-f180.google.com (mail-qk1-f180.google.com [209.85.222.180]) by mxa.mailgun.org with ESMTP'],
    ['Mime-Version', '1.0'],
    ['From', 'Jane Customer <jane@customer.test>'],
    ['Date', 'Tue, 4 Mar 2025 11:22:33 +0100'],
    ['Message-Id', '<CAF=mg1@mail.gmail.com>'],
    ['In-Reply-To', '<ticket-42@acme.test>'],
    ['References', '<order-1001@acme.test> <ticket-42@acme.test>'],
    ['Subject', 'Re: Order #1001'],
    ['To', 'Acme Support <support@acme.test>'],
    ['Cc', 'ops@acme.test'],
    ['Content-Type', 'multipart/mixed; boundary="000000000000a1b2c3"'],
  ];
  return {
    ...Object.fromEntries(headers),
    recipient: 'support@acme.test',
    sender: 'jane@customer.test',
    from: 'Jane Customer <jane@customer.test>',
    subject: 'Re: Order #1001',
    'body-plain': 'Photo attached.\n\n-- \nJane',
    'stripped-text': 'Photo attached.',
    'stripped-signature': 'Jane',
    'body-html': '<div dir="ltr">Photo attached.</div>',
    'stripped-html': '<div dir="ltr">Photo attached.</div>',
    'attachment-count': '2',
    'content-id-map': '{}',
    'message-headers': JSON.stringify(headers),
    timestamp: '1741083753',
    token: 'f1b3c7d5e9a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0',
    signature: '0'.repeat(64),
  };
}

/** The default (not raw) SendGrid Inbound Parse fields, as twilio.com/docs/sendgrid/for-developers/parsing-email/inbound-email lists them. */
function sendgridFields(): Record<string, string> {
  return {
    headers: [
      'Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Tue, 04 Mar 2025 10:22:40 +0000 (UTC)',
      'Received: from mail-io0-f180.google.com (mail-io0-f180.google.com [209.85.223.180]) by mx0047p1mdw1.sendgrid.net (Postfix) with ESMTPS id AA9265603A6',
      '\tfor <support@parse.acme.test>; Tue, 04 Mar 2025 10:22:40 +0000 (UTC)',
      'MIME-Version: 1.0',
      'From: Jane Customer <jane@customer.test>',
      'Date: Tue, 4 Mar 2025 11:22:33 +0100',
      'Message-ID: <CAN_sg1@mail.gmail.com>',
      'In-Reply-To: <ticket-42@acme.test>',
      'References: <order-1001@acme.test>',
      ' <ticket-42@acme.test>',
      'Subject: Re: Order #1001',
      'To: support@parse.acme.test',
      'Content-Type: multipart/mixed; boundary=001a113df448cad2d00538a1e4ac',
      '',
    ].join('\n'),
    dkim: '{@customer.test : pass}',
    'content-ids': '{"ii_1562e2169c132d83":"attachment1"}',
    to: 'support@parse.acme.test',
    cc: '',
    html: '<div dir="ltr">See the <b>screenshot</b>.</div>',
    from: 'Jane Customer <jane@customer.test>',
    text: 'See the *screenshot*.\n',
    sender_ip: '209.85.223.180',
    spam_report: '',
    envelope: '{"to":["support@parse.acme.test"],"from":"jane@customer.test"}',
    attachments: '1',
    subject: 'Re: Order #1001',
    spam_score: '0.012',
    'attachment-info': '{"attachment1":{"filename":"screenshot.png","name":"screenshot.png","type":"image/png","content-id":"ii_1562e2169c132d83"}}',
    charsets: '{"to":"UTF-8","html":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
    SPF: 'pass',
  };
}

describe('fromPostmark', () => {
  it('normalises the documented inbound JSON', () => {
    const email = fromPostmark(postmarkPayload(), limits);
    expect(email.from).toEqual({ address: 'jane@customer.test', name: 'Jane Customer' });
    // the envelope recipient first, then To and Cc (when mail is forwarded to Postmark's hash address, ours is only there)
    expect(email.to).toEqual(['support+ticket42@acme.test', 'ops@acme.test']);
    expect(email.subject).toBe('Re: Order #1001');
    // MessageID is Postmark's own id; the RFC one comes from Headers
    expect(email.messageId).toBe('<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>');
    expect(email.inReplyTo).toBe('<ticket-42@acme.test>');
    expect(email.references).toEqual(['<order-1001@acme.test>', '<ticket-42@acme.test>']);
    expect(email.text).toContain('It arrived broken.');
    expect(email.html).toBe('<p>It arrived broken.</p>');
    expect(email.date).toBe('2014-08-01T20:45:32.000Z');
    expect(email.autoSubmitted).toBe(false);
    expect(email.bounce).toBeNull();
    expect(email.attachments).toEqual([
      { filename: 'myimage.png', contentType: 'image/png', size: 200, contentBase64: png.toString('base64') },
      { filename: 'mypaper.pdf', contentType: 'application/pdf', size: 4000, contentBase64: null },
    ]);
  });

  it('falls back to To + Cc without OriginalRecipient, and applies the header rules', () => {
    const payload = postmarkPayload();
    delete payload.OriginalRecipient;
    (payload.Headers as Array<{ Name: string; Value: string }>).push({ Name: 'Auto-Submitted', Value: 'auto-replied' });
    const email = fromPostmark(payload, limits);
    expect(email.to).toEqual(['support+ticket42@acme.test', 'ops@acme.test']);
    expect(email.autoSubmitted).toBe(true);
  });

  it('derives text from HtmlBody when TextBody is empty', () => {
    const email = fromPostmark({ ...postmarkPayload(), TextBody: '', HtmlBody: '<p>One</p><p>Two &amp; three</p>' }, limits);
    expect(email.text).toBe('One\nTwo & three');
  });

  it.each<[string, unknown, RegExp]>([
    ['a string', 'hello', /not an object/],
    ['null', null, /not an object/],
    ['an array', [], /not an object/],
    ['no sender', { OriginalRecipient: 'support@acme.test' }, /no sender: FromFull\.Email and From missing/],
    ['an invalid sender', { FromFull: { Email: 'jane' }, From: 'jane', OriginalRecipient: 'support@acme.test' }, /invalid sender address in FromFull\.Email: "jane"/],
    ['no recipient', { FromFull: { Email: 'jane@customer.test' }, ToFull: [] }, /no recipient/],
    ['Headers not an array', { ...postmarkPayload(), Headers: 'Message-ID: <x@y>' }, /"Headers" is not an array/],
    ['an attachment without content', { ...postmarkPayload(), Attachments: [{ Name: 'a.txt' }] }, /attachment 1 has no base64 "Content"/],
  ])('rejects %s', (_label, body, message) => {
    expect(() => fromPostmark(body, limits)).toThrow(EmailPayloadError);
    expect(() => fromPostmark(body, limits)).toThrow(message);
  });
});

describe('fromMailgun', () => {
  const files = (): UploadedFile[] => [
    upload('attachment-2', 'invoice.pdf', 'application/pdf', pdf),
    upload('attachment-1', 'photo.png', 'image/png', png),
  ];

  it('normalises a route forward() post', () => {
    const email = fromMailgun(mailgunFields(), files(), limits);
    expect(email.from).toEqual({ address: 'jane@customer.test', name: 'Jane Customer' });
    expect(email.to).toEqual(['support@acme.test']);
    expect(email.subject).toBe('Re: Order #1001');
    expect(email.messageId).toBe('<CAF=mg1@mail.gmail.com>');
    expect(email.inReplyTo).toBe('<ticket-42@acme.test>');
    expect(email.references).toEqual(['<order-1001@acme.test>', '<ticket-42@acme.test>']);
    expect(email.text).toBe('Photo attached.\n\n-- \nJane');
    expect(email.html).toBe('<div dir="ltr">Photo attached.</div>');
    expect(email.date).toBe('2025-03-04T10:22:33.000Z');
    expect(email.autoSubmitted).toBe(false);
    expect(email.bounce).toBeNull();
    // in attachment-N order, not upload order
    expect(email.attachments).toEqual([
      { filename: 'photo.png', contentType: 'image/png', size: 200, contentBase64: png.toString('base64') },
      { filename: 'invoice.pdf', contentType: 'application/pdf', size: 4000, contentBase64: null },
    ]);
  });

  it('reads Precedence from message-headers and ids from the flattened fields when missing there', () => {
    const fields = mailgunFields();
    fields['message-headers'] = JSON.stringify([
      ['From', 'News <news@shop.test>'],
      ['Precedence', 'bulk'],
      ['To', 'support@acme.test'],
    ]);
    const email = fromMailgun(fields, files(), limits);
    expect(email.autoSubmitted).toBe(true);
    expect(email.messageId).toBe('<CAF=mg1@mail.gmail.com>');
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no sender', { recipient: 'support@acme.test' }, /no sender: from and sender missing/],
    ['an invalid sender', { from: 'Jane', sender: '', recipient: 'support@acme.test' }, /invalid sender address in from: "Jane"/],
    ['no recipient', { from: 'jane@customer.test' }, /no recipient/],
    ['malformed message-headers', { ...mailgunFields(), 'message-headers': '{"From":"x"}' }, /"message-headers" is not a JSON array/],
    ['fewer files than attachment-count', { ...mailgunFields(), 'attachment-count': '3' }, /says 3 attachment\(s\) but 2 file\(s\)/],
  ])('rejects %s', (_label, fields, message) => {
    expect(() => fromMailgun(fields, files(), limits)).toThrow(EmailPayloadError);
    expect(() => fromMailgun(fields, files(), limits)).toThrow(message);
  });

  it('rejects a body that is not a field object', () => {
    expect(() => fromMailgun('garbage' as unknown as Record<string, string>, [], limits)).toThrow(EmailPayloadError);
  });
});

describe('fromSendgrid', () => {
  const files = (): UploadedFile[] => [upload('attachment1', 'screenshot.png', 'image/png', png)];

  it('normalises the default multipart post', async () => {
    const email = await fromSendgrid(sendgridFields(), files(), limits);
    expect(email.from).toEqual({ address: 'jane@customer.test', name: 'Jane Customer' });
    expect(email.to).toEqual(['support@parse.acme.test']);
    expect(email.subject).toBe('Re: Order #1001');
    expect(email.messageId).toBe('<CAN_sg1@mail.gmail.com>');
    expect(email.inReplyTo).toBe('<ticket-42@acme.test>');
    expect(email.references).toEqual(['<order-1001@acme.test>', '<ticket-42@acme.test>']);
    expect(email.text).toBe('See the *screenshot*.\n');
    expect(email.html).toBe('<div dir="ltr">See the <b>screenshot</b>.</div>');
    expect(email.date).toBe('2025-03-04T10:22:33.000Z');
    expect(email.attachments).toEqual([
      { filename: 'screenshot.png', contentType: 'image/png', size: 200, contentBase64: png.toString('base64') },
    ]);
  });

  it('takes the name and type from attachment-info when the upload lacks them', async () => {
    const email = await fromSendgrid(sendgridFields(), [upload('attachment1', '', '', png)], limits);
    expect(email.attachments[0]).toMatchObject({ filename: 'screenshot.png', contentType: 'image/png' });
  });

  it('delegates the "send raw" email field to the MIME parser with the envelope', async () => {
    const raw = await new MailComposer({
      from: 'Jane Customer <jane@customer.test>',
      to: 'someone@acme.test',
      subject: 'Out of office',
      messageId: '<raw-1@customer.test>',
      text: 'Away until Monday',
      headers: { 'Auto-Submitted': 'auto-replied' },
    })
      .compile()
      .build();
    const fields = {
      email: raw.toString('utf8'),
      envelope: '{"to":["support@parse.acme.test"],"from":"jane@customer.test"}',
      to: 'someone@acme.test',
      from: 'Jane Customer <jane@customer.test>',
      subject: 'Out of office',
      dkim: '{@customer.test : pass}',
      SPF: 'pass',
      charsets: '{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}',
      sender_ip: '209.85.223.180',
    };
    const email = await fromSendgrid(fields, [], limits);
    expect(email.to).toEqual(['support@parse.acme.test']);
    expect(email.messageId).toBe('<raw-1@customer.test>');
    expect(email.text.trim()).toBe('Away until Monday');
    expect(email.autoSubmitted).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 42, /not an object/],
    ['no sender', { envelope: '{"to":["support@parse.acme.test"]}' }, /no sender: from and envelope\.from missing/],
    ['an invalid sender', { from: 'Jane', envelope: '{"to":["support@parse.acme.test"]}' }, /invalid sender address in from: "Jane"/],
    ['no recipient', { from: 'jane@customer.test' }, /no recipient/],
    ['a broken envelope', { ...sendgridFields(), envelope: '{to:' }, /"envelope" is not valid JSON/],
    ['a raw email without a sender', { email: 'To: support@acme.test\r\n\r\nhi', envelope: '{"to":["support@acme.test"]}' }, /field "email" \(raw MIME\)/],
  ])('rejects %s', async (_label, fields, message) => {
    const attempt = fromSendgrid(fields as Record<string, string>, files(), limits);
    await expect(attempt).rejects.toThrow(EmailPayloadError);
    await expect(fromSendgrid(fields as Record<string, string>, files(), limits)).rejects.toThrow(message);
  });
});

describe('bounces through a provider', () => {
  it('reads the DSN parts Postmark hands over as attachments and drops them', () => {
    const status = [
      'Reporting-MTA: dns; mx.customer.test',
      '',
      'Final-Recipient: rfc822; gone@customer.test',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    ].join('\r\n');
    const original = 'From: support@acme.test\r\nMessage-ID: <ticket-9@acme.test>\r\nSubject: hi\r\n\r\nbody';
    const email = fromPostmark(
      {
        FromFull: { Email: 'MAILER-DAEMON@mx.customer.test', Name: 'Mail Delivery System' },
        OriginalRecipient: 'support@acme.test',
        Subject: 'Undelivered Mail Returned to Sender',
        TextBody: 'Your message could not be delivered.',
        Headers: [{ Name: 'Content-Type', Value: 'multipart/report; report-type=delivery-status; boundary="b"' }],
        Attachments: [
          { Name: 'details.txt', Content: Buffer.from(status).toString('base64'), ContentType: 'message/delivery-status', ContentLength: status.length },
          { Name: 'original.eml', Content: Buffer.from(original).toString('base64'), ContentType: 'message/rfc822', ContentLength: original.length },
        ],
      },
      limits,
    );
    expect(email.bounce).toEqual({
      originalMessageId: '<ticket-9@acme.test>',
      recipient: 'gone@customer.test',
      status: '5.1.1',
      diagnostic: '550 5.1.1 User unknown',
    });
    expect(email.autoSubmitted).toBe(true);
    expect(email.attachments).toEqual([]);
  });
});
