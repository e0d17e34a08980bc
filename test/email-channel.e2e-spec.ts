import request from 'supertest';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import { startApp, type TestApp } from './support/app';
import { type AgentClient, connectAgent, eventually, login } from './support/clients';
import { EmailSmtpSink } from './support/email-smtp-sink';
import { TWILIO_TEST_ACCOUNT, twilioSid, twilioSignature } from './support/fake-twilio';

const PUBLIC_URL = 'https://cc.example.test';
const MAILGUN_KEY = 'mg-signing-key-123';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const uid = () => randomBytes(4).toString('hex');
/** the plus-address our replies carry as Reply-To: support+<contact id without dashes>@example.com */
const replyToOf = (contactId: string, mailbox = 'support@example.com') => mailbox.replace('@', `+${contactId.replace(/-/g, '')}@`);
const headerIds = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? v.split(/\s+/) : []).filter(Boolean);

type AgentEvent = 'offer' | 'message' | 'message:status' | 'offer:revoked';

/**
 * The email channel end to end: customers' mail over our SMTP server and through the providers'
 * webhooks, offered to an agent, answered through an outside relay (a sink the test runs), threaded
 * back into the same contact, and the ways it can go wrong on each side.
 */
describe('the email channel, from a customer’s mailbox to an agent and back', () => {
  let t: TestApp;
  let sink: EmailSmtpSink;
  let customer: Transporter;
  let alice: AgentClient;
  let aliceToken: string;
  let supervisorToken: string;
  /** every event Alice's desk received, so a test never misses one that came before it listened */
  const seen: Record<AgentEvent, any[]> = { offer: [], message: [], 'message:status': [], 'offer:revoked': [] };

  const next = <T = any>(event: AgentEvent, match: (p: any) => boolean, what: string, timeoutMs = 15_000): Promise<T> =>
    eventually(async () => seen[event].find(match), timeoutMs, `${event}: ${what}`);

  /** a customer's mail, over SMTP to our server */
  const mail = (options: SendMailOptions) => customer.sendMail(options);

  const offerFor = (address: string, what = address, channel = 'email', except: string[] = []) =>
    next('offer', (o) => o.channel === channel && o.customer.email === address && !except.includes(o.contactId), `an offer of ${what}`);

  const accept = async (offer: any) => {
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { contactId: offer.contactId, state: 'active' } });
  };

  const reply = async (contactId: string, text: string) => {
    const sent = await alice.ack('message:send', { contactId, clientMessageId: randomUUID(), text });
    expect(sent).toMatchObject({ ok: true, message: { contactId, direction: 'outbound', text, delivery: { status: 'pending' } } });
    return sent.message;
  };

  /** ends and wraps up a contact Alice holds, so her capacity is free for the next test */
  const close = async (contactId: string) => {
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
  };

  const contact = async (id: string) => (await request(t.url).get(`/contacts/${id}`).set('Authorization', `Bearer ${supervisorToken}`).expect(200)).body;

  /** every contact of the customer behind an address, through the API a supervisor uses */
  const contactsOf = async (address: string): Promise<any[]> => {
    const found = await request(t.url).get('/customers').query({ email: address }).set('Authorization', `Bearer ${supervisorToken}`).expect(200);
    if (found.body.length === 0) return [];
    expect(found.body).toHaveLength(1);
    const timeline = await request(t.url).get(`/customers/${found.body[0].id}/timeline`).set('Authorization', `Bearer ${supervisorToken}`).expect(200);
    return timeline.body.items;
  };

  const statusesOf = (messageId: string) => seen['message:status'].filter((s) => s.messageId === messageId).map((s) => s.delivery.status);

  /** the reply the relay took for a customer, by our Message-ID or the recipient */
  const relayed = (match: (m: any) => boolean, what: string) => eventually(async () => sink.received.find(match), 15_000, `the relay to receive ${what}`);

  beforeAll(async () => {
    sink = await new EmailSmtpSink().start();
    t = await startApp({
      env: {
        SMTP_RELAY_URL: sink.url,
        EMAIL_MAX_ATTACHMENT_BYTES: '2000',
        SMTP_MAX_MESSAGE_BYTES: '200000',
        OUTBOUND_BACKOFF_MS: '200',
        OUTBOUND_ATTEMPTS: '3',
        POSTMARK_WEBHOOK_AUTH: 'postmark:pm-secret',
        SENDGRID_WEBHOOK_AUTH: 'sendgrid:sg-secret',
        MAILGUN_SIGNING_KEY: MAILGUN_KEY,
        TWILIO_ACCOUNT_SID: TWILIO_TEST_ACCOUNT.sid,
        TWILIO_AUTH_TOKEN: TWILIO_TEST_ACCOUNT.token,
        PUBLIC_URL,
      },
    });
    expect(t.smtpPort).toEqual(expect.any(Number));
    customer = createTransport({ host: '127.0.0.1', port: t.smtpPort!, secure: false, ignoreTLS: true });
    supervisorToken = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    aliceToken = await login(t.url, 'alice@demo.local', 'agent-demo');
    alice = await connectAgent(t.url, aliceToken);
    for (const event of Object.keys(seen) as AgentEvent[]) alice.socket.on(event, (p: unknown) => seen[event].push(p));
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true, presence: 'available' });
  });

  afterAll(async () => {
    alice?.close();
    customer?.close();
    await t?.close();
    await sink?.stop();
  });

  afterEach(async () => {
    // no test leaves a contact on Alice's desk: her email capacity is the same for every test
    if (!alice) return;
    const state = await alice.ack('agent:state');
    expect({ offers: state.state.offers.map((o: any) => o.contactId), contacts: state.state.contacts.map((c: any) => c.contactId) }).toEqual({ offers: [], contacts: [] });
    const { rows } = await t.db.query(
      `SELECT c.channel, c.load FROM agent_capacities c JOIN users u ON u.id = c.agent_id WHERE u.email = 'alice@demo.local' AND c.load <> 0`,
    );
    expect(rows).toEqual([]);
  });

  it('round trip: a mail with HTML and attachments is offered, answered with a threaded reply through the relay, and the customer’s answer joins the same contact', async () => {
    const small = randomBytes(600);
    const large = randomBytes(5000);
    const customerMessageId = `<kettle-${uid()}@customer.test>`;
    await mail({
      from: '"Jane Doe" <jane@customer.test>',
      to: 'support@example.com',
      subject: 'Broken kettle',
      messageId: customerMessageId,
      text: 'My kettle stopped working.\nIt does not heat at all.',
      html: '<p>My <b>kettle</b> stopped working.</p><script>alert("owned")</script><p>It does not heat at all.</p>',
      attachments: [
        { filename: 'receipt.png', content: small, contentType: 'image/png' },
        { filename: 'video.mp4', content: large, contentType: 'video/mp4' },
      ],
    });

    const offer = await offerFor('jane@customer.test');
    expect(offer).toMatchObject({ channel: 'email', queue: { name: 'Support' }, customer: { name: 'Jane Doe', email: 'jane@customer.test' } });
    expect(offer.messages).toHaveLength(1);
    const [first] = offer.messages;
    expect(first).toMatchObject({
      contactId: offer.contactId,
      direction: 'inbound',
      author: { type: 'customer' },
      subject: 'Broken kettle',
      text: 'My kettle stopped working.\nIt does not heat at all.',
    });
    expect(first.html).toContain('<b>kettle</b>');
    expect(first.html).toContain('It does not heat at all.');
    expect(first.html).not.toMatch(/script|alert|owned/i);

    // the small file is kept and downloadable; the one over EMAIL_MAX_ATTACHMENT_BYTES keeps only its name, type and size
    const byName = Object.fromEntries((first.attachments ?? []).map((a: any) => [a.filename, a]));
    expect(first.attachments).toHaveLength(2);
    expect(byName['receipt.png']).toEqual({
      id: expect.any(String),
      filename: 'receipt.png',
      contentType: 'image/png',
      size: 600,
      url: `/contacts/${offer.contactId}/attachments/${byName['receipt.png'].id}`,
    });
    expect(byName['video.mp4']).toEqual({ id: expect.any(String), filename: 'video.mp4', contentType: 'video/mp4', size: 5000, url: null });

    const download = await fetch(`${t.url}${byName['receipt.png'].url}`, { headers: { Authorization: `Bearer ${aliceToken}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="receipt.png"');
    expect(download.headers.get('content-type')).toMatch(/^image\/png/);
    expect(Buffer.from(await download.arrayBuffer()).equals(small)).toBe(true);
    expect((await fetch(`${t.url}${byName['receipt.png'].url}`)).status).toBe(401);
    // an agent the contact was never offered to does not get its files
    const bobToken = await login(t.url, 'bob@demo.local', 'agent-demo');
    await request(t.url).get(byName['receipt.png'].url).set('Authorization', `Bearer ${bobToken}`).expect(404);
    await request(t.url).get(`/contacts/${offer.contactId}/attachments/${byName['video.mp4'].id}`).set('Authorization', `Bearer ${aliceToken}`).expect(404);

    // the agent answers; the reply leaves through the relay, threaded
    await accept(offer);
    const answer = await reply(offer.contactId, 'Sorry to hear that! Please hold the reset button for 5 seconds.');
    const out = await relayed((m) => m.envelope.to.includes('jane@customer.test'), 'the reply to Jane');
    expect(out.envelope).toEqual({ from: 'support@example.com', to: ['jane@customer.test'] });
    expect(out.mail.from?.value).toEqual([expect.objectContaining({ address: 'support@example.com' })]);
    expect((out.mail.to as any).value).toEqual([expect.objectContaining({ address: 'jane@customer.test' })]);
    expect(out.mail.subject).toBe('Re: Broken kettle');
    expect(out.mail.text?.trim()).toBe('Sorry to hear that! Please hold the reset button for 5 seconds.');
    expect(out.mail.inReplyTo).toBe(customerMessageId);
    expect(headerIds(out.mail.references)).toContain(customerMessageId);
    expect(out.mail.messageId).toMatch(/^<[^<>@\s]+@example\.com>$/);
    expect(out.mail.messageId).not.toBe(customerMessageId);
    expect(out.mail.replyTo?.value).toEqual([expect.objectContaining({ address: replyToOf(offer.contactId) })]);
    await next('message:status', (s) => s.messageId === answer.id && s.delivery.status === 'sent', 'the reply sent');
    expect(seen['message:status'].find((s) => s.messageId === answer.id)).toMatchObject({ contactId: offer.contactId });

    // the customer answers the reply, quoting it: the same contact, the quote stripped for the agent and kept in full
    const quoted = [
      'I held it for 10 seconds, it is still cold.',
      '',
      'On Tue, 3 Mar 2026 at 10:02, Support <support@example.com> wrote:',
      '> Sorry to hear that! Please hold the reset button for 5 seconds.',
      '>',
    ].join('\n');
    await mail({
      from: '"Jane Doe" <jane@customer.test>',
      to: 'support@example.com',
      subject: 'Re: Broken kettle',
      messageId: `<kettle-answer-${uid()}@customer.test>`,
      inReplyTo: out.mail.messageId,
      references: [customerMessageId, out.mail.messageId!],
      text: quoted,
    });
    const answered = await next('message', (m) => m.contactId === offer.contactId && m.direction === 'inbound', 'Jane’s answer on her contact');
    expect(answered.text).toBe('I held it for 10 seconds, it is still cold.');
    expect(answered.fullText).toContain('wrote:');
    expect(answered.fullText).toContain('> Sorry to hear that! Please hold the reset button for 5 seconds.');
    expect(answered.subject).toBe('Re: Broken kettle');

    const detail = await contact(offer.contactId);
    expect(detail).toMatchObject({ channel: 'email', address: 'jane@customer.test', channelAddress: 'support@example.com', followsContactId: null, state: 'active' });
    expect(detail.messages.map((m: any) => [m.direction, m.text])).toEqual([
      ['inbound', 'My kettle stopped working.\nIt does not heat at all.'],
      ['outbound', 'Sorry to hear that! Please hold the reset button for 5 seconds.'],
      ['inbound', 'I held it for 10 seconds, it is still cold.'],
    ]);
    expect(detail.messages[1].delivery).toEqual({ status: 'sent', errorCode: null, error: null });
    expect(await contactsOf('jane@customer.test')).toHaveLength(1);
    await close(offer.contactId);
  });

  it('threads by headers and by the Reply-To plus-address, never by subject, and only within the same customer’s mail', async () => {
    const tom = `tom-${uid()}@customer.test`;
    const firstId = `<order-${uid()}@customer.test>`;
    await mail({ from: `"Tom" <${tom}>`, to: 'support@example.com', subject: 'Order 77 is late', messageId: firstId, text: 'Where is order 77?' });
    const first = await offerFor(tom, 'Tom’s first mail');
    await accept(first);

    // no threading headers at all, but written to the plus-address our replies give as Reply-To
    await mail({ from: tom, to: replyToOf(first.contactId), subject: 'order 77 again', text: 'Any news on order 77?' });
    const byToken = await next('message', (m) => m.contactId === first.contactId && m.text === 'Any news on order 77?', 'the plus-addressed mail on Tom’s contact');
    expect(byToken.direction).toBe('inbound');

    // the same subject with neither headers nor token is a new conversation
    const secondMessageId = `<order-new-${uid()}@customer.test>`;
    await mail({ from: tom, to: 'support@example.com', subject: 'Order 77 is late', messageId: secondMessageId, text: 'A different question about order 77.' });
    const second = await offerFor(tom, 'Tom’s new thread with the same subject', 'email', [first.contactId]);
    expect(second.contactId).not.toBe(first.contactId);
    expect(second.messages.map((m: any) => m.text)).toEqual(['A different question about order 77.']);
    await accept(second);

    // a reply to a closed contact's message opens a new contact that follows it
    await close(first.contactId);
    await mail({
      from: tom,
      to: 'support@example.com',
      subject: 'Re: Order 77 is late',
      messageId: `<order-late-reply-${uid()}@customer.test>`,
      inReplyTo: firstId,
      references: [firstId],
      text: 'Sorry, one more thing about order 77.',
    });
    const followUp = await offerFor(tom, 'Tom’s reply to the closed thread', 'email', [first.contactId, second.contactId]);
    expect(followUp.messages.map((m: any) => m.text)).toEqual(['Sorry, one more thing about order 77.']);
    expect(await contact(followUp.contactId)).toMatchObject({ state: 'offered', followsContactId: first.contactId });
    expect((await contact(first.contactId)).messages).toHaveLength(2);
    await accept(followUp);

    // another customer's mail naming Tom's message (References, In-Reply-To) or his contact's plus-address joins nothing of Tom's
    const mallory = `mallory-${uid()}@customer.test`;
    await mail({
      from: mallory,
      to: 'support@example.com',
      subject: 'Re: Order 77 is late',
      messageId: `<mallory-${uid()}@customer.test>`,
      inReplyTo: secondMessageId,
      references: [firstId, secondMessageId],
      text: 'Let me into this conversation.',
    });
    const intruder = await offerFor(mallory, 'Mallory’s mail naming Tom’s messages');
    expect([first.contactId, second.contactId, followUp.contactId]).not.toContain(intruder.contactId);
    await accept(intruder);
    await mail({ from: mallory, to: replyToOf(second.contactId), subject: 'Re: Order 77 is late', messageId: `<mallory-token-${uid()}@customer.test>`, text: 'And through the plus-address?' });
    const viaToken = await offerFor(mallory, 'Mallory’s mail to Tom’s plus-address', 'email', [intruder.contactId]);
    expect([first.contactId, second.contactId, followUp.contactId]).not.toContain(viaToken.contactId);
    expect(await contact(intruder.contactId)).toMatchObject({ followsContactId: null, address: mallory });
    expect((await contact(second.contactId)).messages.map((m: any) => m.text)).toEqual(['A different question about order 77.']);
    await accept(viaToken);

    expect((await contactsOf(tom)).map((c) => c.id).sort()).toEqual([first.contactId, second.contactId, followUp.contactId].sort());
    for (const id of [second.contactId, followUp.contactId, intruder.contactId, viaToken.contactId]) await close(id);
  });

  it('stores a message delivered twice over SMTP and once more by Postmark only once', async () => {
    const rita = `rita-${uid()}@customer.test`;
    const messageId = `<invoice-${uid()}@customer.test>`;
    const original = { from: `"Rita" <${rita}>`, to: 'support@example.com', subject: 'Invoice copy', messageId, text: 'Please resend invoice 5512.' };
    await mail(original);
    const offer = await offerFor(rita);
    await accept(offer);

    // the sending server did not hear our 250 and tries again; then the same mail arrives through Postmark too
    await mail(original);
    await request(t.url)
      .post('/channels/email/postmark')
      .set('Authorization', basic('postmark:pm-secret'))
      .send(postmarkPayload({ from: rita, name: 'Rita', subject: 'Invoice copy', text: 'Please resend invoice 5512.', messageId }))
      .expect(200);

    // a real follow-up after them arrives; by then the copies would have been stored too
    await mail({ from: rita, to: 'support@example.com', subject: 'Re: Invoice copy', messageId: `<invoice-2-${uid()}@customer.test>`, inReplyTo: messageId, references: [messageId], text: 'Any luck?' });
    await next('message', (m) => m.contactId === offer.contactId && m.text === 'Any luck?', 'Rita’s follow-up');
    expect((await contact(offer.contactId)).messages.map((m: any) => m.text)).toEqual(['Please resend invoice 5512.', 'Any luck?']);
    expect(seen.message.filter((m) => m.contactId === offer.contactId && m.text === 'Please resend invoice 5512.')).toEqual([]);
    expect(await contactsOf(rita)).toHaveLength(1);
    await close(offer.contactId);
  });

  it('refuses unknown mailboxes at RCPT and oversized messages at DATA, storing nothing', async () => {
    const ursula = `ursula-${uid()}@customer.test`;
    for (const to of ['nobody@example.com', 'support@elsewhere.test']) {
      const refused = await mail({ from: ursula, to, subject: 'Hello?', text: 'Is anyone there?' }).then(
        () => null,
        (e: any) => e,
      );
      expect(refused).toMatchObject({ responseCode: 550, command: 'RCPT TO', rejected: [to] });
    }

    const tooBig = await mail({
      from: ursula,
      to: 'support@example.com',
      subject: 'Scans',
      text: 'All the scans attached.',
      attachments: [{ filename: 'scans.bin', content: randomBytes(250_000) }],
    }).then(
      () => null,
      (e: any) => e,
    );
    expect(tooBig?.responseCode).toBe(552);

    // the server said no before anything was queued: nothing to wait for
    expect(await contactsOf(ursula)).toEqual([]);
    // and a proper mail from the same sender afterwards is the only thing there is
    await mail({ from: ursula, to: 'support@example.com', subject: 'Hello', text: 'Now to the right address.' });
    const offer = await offerFor(ursula);
    await accept(offer);
    const contacts = await contactsOf(ursula);
    expect(contacts.map((c) => c.messages.map((m: any) => m.text))).toEqual([['Now to the right address.']]);
    await close(offer.contactId);
  });

  it('opens nothing for auto-replies and bulk mail, and marks our reply failed when its bounce comes back', async () => {
    const olga = `olga-${uid()}@customer.test`;
    const relayedBefore = sink.received.length;
    await mail({ from: olga, to: 'support@example.com', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' }, text: 'I am away until Monday.' });
    await mail({ from: olga, to: 'support@example.com', subject: 'Our newsletter', headers: { Precedence: 'bulk' }, text: 'News of the month.' });
    // a human mail from the same sender after them: when it is on a contact, the two would have been too
    await mail({ from: olga, to: 'support@example.com', subject: 'A real question', text: 'Can I change my delivery address?' });
    const offer = await offerFor(olga);
    expect(offer.messages.map((m: any) => m.text)).toEqual(['Can I change my delivery address?']);
    await accept(offer);
    expect((await contactsOf(olga)).map((c) => c.messages.map((m: any) => m.text))).toEqual([['Can I change my delivery address?']]);
    expect(sink.received.length).toBe(relayedBefore);

    // our answer goes out, then the customer's server bounces it
    const answer = await reply(offer.contactId, 'Yes: reply with the new address.');
    const out = await relayed((m) => m.envelope.to.includes(olga), 'the reply to Olga');
    await next('message:status', (s) => s.messageId === answer.id && s.delivery.status === 'sent', 'the reply sent');
    // the customer's out-of-office answers our reply, threaded and to the plus-address: still machine mail
    await mail({
      from: olga,
      to: replyToOf(offer.contactId),
      subject: 'Automatic reply: Re: A real question',
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
      inReplyTo: out.mail.messageId,
      references: [out.mail.messageId!],
      text: 'I am out of the office until Monday.',
    });
    const dsn = deliveryStatusNotification({ recipient: olga, originalMessageId: out.mail.messageId!, subject: out.mail.subject! });
    await customer.sendMail({ envelope: { from: '', to: ['support@example.com'] }, raw: dsn });

    const failed = await next('message:status', (s) => s.messageId === answer.id && s.delivery.status === 'failed', 'the bounced reply failed');
    expect(failed.delivery.errorCode).toBe('bounce_5.1.1');
    expect(failed.delivery.error).toContain(olga);
    const detail = await contact(offer.contactId);
    expect(detail.messages.find((m: any) => m.id === answer.id).delivery).toEqual({
      status: 'failed',
      errorCode: 'bounce_5.1.1',
      error: expect.stringContaining('User unknown'),
    });
    expect(detail.events.filter((e: any) => e.type === 'delivery_failed')).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ type: 'system' }), data: { messageId: answer.id, errorCode: 'bounce_5.1.1' } }),
    ]);
    // the bounce itself is no customer's message
    expect(await contactsOf('mailer-daemon@relay.customer.test')).toEqual([]);
    expect(seen.offer.filter((o) => o.customer.email === 'mailer-daemon@relay.customer.test')).toEqual([]);
    // a human answer after the out-of-office joins; the out-of-office never did
    await mail({ from: olga, to: replyToOf(offer.contactId), subject: 'Re: A real question', inReplyTo: out.mail.messageId, text: 'My other address is olga@elsewhere.test' });
    await next('message', (m) => m.contactId === offer.contactId && m.text === 'My other address is olga@elsewhere.test', 'Olga’s human answer');
    expect((await contact(offer.contactId)).messages.map((m: any) => m.text)).toEqual([
      'Can I change my delivery address?',
      'Yes: reply with the new address.',
      'My other address is olga@elsewhere.test',
    ]);
    expect(await contactsOf(olga)).toHaveLength(1);
    await close(offer.contactId);
  });

  describe('provider webhooks, as the providers send them', () => {
    it('Postmark: basic auth checked, the payload validated, the mail with its attachment opened as a contact', async () => {
      const paula = `paula-${uid()}@customer.test`;
      const payload = (messageId: string) =>
        postmarkPayload({
          from: paula,
          name: 'Paula Post',
          subject: 'Warranty question',
          text: 'Is the blender still under warranty?',
          html: '<p>Is the <i>blender</i> still under warranty?</p><img src="x" onerror="alert(1)">',
          messageId,
          attachments: [{ Name: 'warranty.txt', Content: Buffer.from('WARRANTY-2024').toString('base64'), ContentType: 'text/plain', ContentLength: 13 }],
        });
      await request(t.url).post('/channels/email/postmark').send(payload(`<pm-noauth-${uid()}@customer.test>`)).expect(401);
      await request(t.url).post('/channels/email/postmark').set('Authorization', basic('postmark:wrong')).send(payload(`<pm-wrong-${uid()}@customer.test>`)).expect(403);
      await request(t.url).post('/channels/email/postmark').set('Authorization', basic('postmark:pm-secret')).send({ hello: 1 }).expect(400);
      expect(await contactsOf(paula)).toEqual([]);

      const good = `<pm-${uid()}@customer.test>`;
      const res = await request(t.url).post('/channels/email/postmark').set('Authorization', basic('postmark:pm-secret')).send(payload(good)).expect(200);
      expect(res.body).toEqual({ outcome: 'accepted' });
      const offer = await offerFor(paula);
      expect(offer.customer).toMatchObject({ name: 'Paula Post', email: paula });
      const [m] = offer.messages;
      expect(offer.messages).toHaveLength(1);
      expect(m).toMatchObject({ subject: 'Warranty question', text: 'Is the blender still under warranty?' });
      expect(m.html).toContain('<i>blender</i>');
      expect(m.html).not.toMatch(/onerror|alert/);
      expect(m.attachments).toEqual([{ id: expect.any(String), filename: 'warranty.txt', contentType: 'text/plain', size: 13, url: expect.stringMatching(/^\/contacts\//) }]);
      const file = await request(t.url).get(m.attachments[0].url).set('Authorization', `Bearer ${aliceToken}`).buffer(true).expect(200);
      expect(Buffer.from(file.text ?? file.body).toString()).toBe('WARRANTY-2024');
      await accept(offer);
      expect((await contactsOf(paula)).map((c) => c.messages.length)).toEqual([1]);
      await close(offer.contactId);
    });

    it('Mailgun: the HMAC signature and its timestamp are checked before the multipart mail is opened as a contact', async () => {
      const mike = `mike-${uid()}@customer.test`;
      const form = (signed: { timestamp: string; token: string; signature: string }) => {
        const messageId = `<mg-${uid()}@customer.test>`;
        return request(t.url)
          .post('/channels/email/mailgun')
          .field('sender', mike)
          .field('recipient', 'sales@example.com')
          .field('from', `Mike Gun <${mike}>`)
          .field('subject', 'Bulk order of 40 kettles')
          .field('body-plain', 'Can we get a discount on 40 kettles?')
          .field('message-headers', JSON.stringify([['Message-Id', messageId], ['From', `Mike Gun <${mike}>`], ['To', 'sales@example.com'], ['Subject', 'Bulk order of 40 kettles']]))
          .field('attachment-count', '1')
          .field('timestamp', signed.timestamp)
          .field('token', signed.token)
          .field('signature', signed.signature)
          .attach('attachment-1', Buffer.from('qty,item\n40,kettle\n'), { filename: 'order.csv', contentType: 'text/csv' });
      };
      const sign = (timestamp: string, token = randomBytes(25).toString('hex')) => ({ timestamp, token, signature: createHmac('sha256', MAILGUN_KEY).update(timestamp + token).digest('hex') });
      const now = () => String(Math.floor(Date.now() / 1000));

      const tampered = sign(now());
      await form({ ...tampered, signature: tampered.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }).expect(403);
      await form(sign(String(Math.floor(Date.now() / 1000) - 3600))).expect(403);
      await form({ ...sign(now()), token: 'another-token' }).expect(403);
      expect(await contactsOf(mike)).toEqual([]);

      const accepted = sign(now());
      const res = await form(accepted).expect(200);
      expect(res.body).toEqual({ outcome: 'accepted' });
      const offer = await offerFor(mike);
      // the signature covers only the timestamp and token: the same token again (another body) is a replay
      await form(accepted).expect(403);
      expect(await contactsOf(mike)).toHaveLength(1);
      expect(offer).toMatchObject({ queue: { name: 'Sales' }, customer: { name: 'Mike Gun' } });
      expect(offer.messages).toEqual([
        expect.objectContaining({
          subject: 'Bulk order of 40 kettles',
          text: 'Can we get a discount on 40 kettles?',
          attachments: [{ id: expect.any(String), filename: 'order.csv', contentType: 'text/csv', size: 19, url: expect.stringMatching(/^\/contacts\//) }],
        }),
      ]);
      await accept(offer);
      expect((await contact(offer.contactId)).channelAddress).toBe('sales@example.com');

      // the reply comes from the mailbox Mike wrote to; his answer naming only our Message-ID (In-Reply-To) joins
      const answer = await reply(offer.contactId, '10% off for 40 kettles.');
      const out = await relayed((m) => m.envelope.to.includes(mike), 'the reply to Mike');
      expect(out.envelope.from).toBe('sales@example.com');
      expect(out.mail.from?.value).toEqual([expect.objectContaining({ address: 'sales@example.com' })]);
      expect(out.mail.replyTo?.value).toEqual([expect.objectContaining({ address: replyToOf(offer.contactId, 'sales@example.com') })]);
      await next('message:status', (s) => s.messageId === answer.id && s.delivery.status === 'sent', 'the reply to Mike sent');
      const signed = sign(now());
      await request(t.url)
        .post('/channels/email/mailgun')
        .field('sender', mike)
        .field('recipient', 'sales@example.com')
        .field('from', `Mike Gun <${mike}>`)
        .field('subject', 'Re: Bulk order of 40 kettles')
        .field('body-plain', 'Deal.')
        .field('message-headers', JSON.stringify([['Message-Id', `<mg-answer-${uid()}@customer.test>`], ['In-Reply-To', out.mail.messageId], ['From', `Mike Gun <${mike}>`]]))
        .field('timestamp', signed.timestamp)
        .field('token', signed.token)
        .field('signature', signed.signature)
        .expect(200);
      await next('message', (m) => m.contactId === offer.contactId && m.text === 'Deal.', 'Mike’s answer on his contact');
      await close(offer.contactId);
    });

    it('SendGrid: basic auth checked, the Inbound Parse multipart (headers, envelope) opened as a contact', async () => {
      const sara = `sara-${uid()}@customer.test`;
      const messageId = `<sg-${uid()}@customer.test>`;
      const form = () =>
        request(t.url)
          .post('/channels/email/sendgrid')
          .field(
            'headers',
            [`Message-ID: ${messageId}`, `From: Sara Grid <${sara}>`, 'To: support@example.com', 'Subject: Lid does not close', `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0'].join('\n'),
          )
          .field('from', `Sara Grid <${sara}>`)
          .field('to', 'support@example.com')
          .field('subject', 'Lid does not close')
          .field('text', 'The lid of my kettle does not close any more.')
          .field('envelope', JSON.stringify({ to: ['support@example.com'], from: sara }))
          .field('charsets', JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8', text: 'UTF-8' }))
          .field('SPF', 'pass');

      await form().expect(401);
      await form().set('Authorization', basic('sendgrid:nope')).expect(403);
      expect(await contactsOf(sara)).toEqual([]);

      const res = await form().set('Authorization', basic('sendgrid:sg-secret')).expect(200);
      expect(res.body).toEqual({ outcome: 'accepted' });
      const offer = await offerFor(sara);
      expect(offer).toMatchObject({ queue: { name: 'Support' }, customer: { name: 'Sara Grid' } });
      expect(offer.messages).toEqual([expect.objectContaining({ subject: 'Lid does not close', text: 'The lid of my kettle does not close any more.' })]);
      await accept(offer);
      // the message is known by its Message-ID: the same mail over SMTP later is a duplicate
      await mail({ from: sara, to: 'support@example.com', subject: 'Lid does not close', messageId, text: 'The lid of my kettle does not close any more.' });
      await mail({ from: sara, to: 'support@example.com', subject: 'Re: Lid does not close', inReplyTo: messageId, text: 'Photo to follow.' });
      await next('message', (m) => m.contactId === offer.contactId && m.text === 'Photo to follow.', 'Sara’s follow-up');
      expect((await contact(offer.contactId)).messages.map((m: any) => m.text)).toEqual(['The lid of my kettle does not close any more.', 'Photo to follow.']);
      await close(offer.contactId);
    });
  });

  it('retries a reply the relay defers (451) until it is sent, and fails one it refuses (550) at once, saying why', async () => {
    const fiona = `fiona-${uid()}@customer.test`;
    await mail({ from: fiona, to: 'support@example.com', subject: 'Refund', messageId: `<refund-${uid()}@customer.test>`, text: 'I would like a refund.' });
    const offer = await offerFor(fiona);
    await accept(offer);

    sink.rejectNext(2, 451, '4.7.1 greylisted, try again later');
    const deferred = await reply(offer.contactId, 'The refund is on its way.');
    await next('message:status', (s) => s.messageId === deferred.id && s.delivery.status === 'sent', 'the deferred reply sent');
    const statuses = statusesOf(deferred.id);
    expect(statuses[statuses.length - 1]).toBe('sent');
    expect(statuses).toContain('retrying');
    expect(statuses.indexOf('retrying')).toBeLessThan(statuses.indexOf('sent'));
    const attempts = sink.attempts.filter((a) => a.envelope.to.includes(fiona));
    expect(attempts.map((a) => a.refusedWith)).toEqual([451, 451, null]);
    // every try is the same message: one Message-ID, one copy taken
    expect(new Set(attempts.map((a) => a.messageId)).size).toBe(1);
    expect(sink.received.filter((m) => m.envelope.to.includes(fiona)).map((m) => m.mail.text?.trim())).toEqual(['The refund is on its way.']);
    const retried = seen['message:status'].find((s) => s.messageId === deferred.id && s.delivery.status === 'retrying');
    expect(retried.delivery).toMatchObject({ errorCode: 'smtp_451', error: expect.stringContaining('greylisted') });

    // a relay that defers every try: failed after OUTBOUND_ATTEMPTS (3), with the last reason
    sink.rejectNext(3, 451, '4.4.5 insufficient system storage');
    const exhausted = await reply(offer.contactId, 'Did you get our last mail?');
    const gaveUp = await next('message:status', (s) => s.messageId === exhausted.id && s.delivery.status === 'failed', 'the always-deferred reply failed');
    expect(gaveUp.delivery).toMatchObject({ errorCode: 'smtp_451', error: expect.stringContaining('insufficient system storage') });
    expect(statusesOf(exhausted.id)).toEqual(['retrying', 'retrying', 'failed']);
    expect(sink.attempts.filter((a) => a.envelope.to.includes(fiona)).map((a) => a.refusedWith)).toEqual([451, 451, null, 451, 451, 451]);

    sink.rejectNext(1, 550, '5.1.1 <fiona@customer.test>: Recipient address rejected: User unknown in virtual mailbox table');
    const refused = await reply(offer.contactId, 'Also, here is a voucher.');
    const failed = await next('message:status', (s) => s.messageId === refused.id && s.delivery.status === 'failed', 'the refused reply failed');
    expect(failed.delivery).toMatchObject({ errorCode: 'smtp_550', error: expect.stringContaining('User unknown in virtual mailbox table') });
    expect(statusesOf(refused.id)).toEqual(['failed']);
    expect(sink.attempts.filter((a) => a.envelope.to.includes(fiona)).length).toBe(7);

    const detail = await contact(offer.contactId);
    expect(detail.messages.find((m: any) => m.id === refused.id).delivery).toEqual({
      status: 'failed',
      errorCode: 'smtp_550',
      error: expect.stringContaining('User unknown in virtual mailbox table'),
    });
    expect(detail.messages.find((m: any) => m.id === deferred.id).delivery).toEqual({ status: 'sent', errorCode: null, error: null });
    expect(detail.events.filter((e: any) => e.type === 'delivery_failed')).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('insufficient system storage'), data: { messageId: exhausted.id, errorCode: 'smtp_451' } }),
      expect.objectContaining({ reason: expect.stringContaining('User unknown'), data: { messageId: refused.id, errorCode: 'smtp_550' } }),
    ]);
    await close(offer.contactId);
  });

  it('knows a customer across channels: the phone number linked to an email customer brings their SMS to the same timeline', async () => {
    const sam = `sam-${uid()}@customer.test`;
    await mail({ from: `"Sam Cross" <${sam}>`, to: 'support@example.com', subject: 'Call me maybe', text: 'I will text you from my phone.' });
    const emailOffer = await offerFor(sam);
    await accept(emailOffer);
    const customerId = emailOffer.customer.id;
    await request(t.url).post(`/customers/${customerId}/identities`).set('Authorization', `Bearer ${aliceToken}`).send({ kind: 'phone', value: '+1 (415) 555-0142' }).expect(204);
    const record = await request(t.url).get(`/customers/${customerId}`).set('Authorization', `Bearer ${supervisorToken}`).expect(200);
    expect(record.body.identities).toEqual(expect.arrayContaining([{ kind: 'email', value: sam }, { kind: 'phone', value: '+14155550142' }]));

    const fields = { From: '+14155550142', To: '+14155550100', Body: 'Hi, it is Sam, texting as promised.', MessageSid: twilioSid(), NumMedia: '0' };
    await request(t.url)
      .post('/channels/twilio/sms')
      .set('X-Twilio-Signature', twilioSignature(TWILIO_TEST_ACCOUNT.token, `${PUBLIC_URL}/channels/twilio/sms`, fields))
      .type('form')
      .send(fields)
      .expect(200);
    const smsOffer = await next('offer', (o) => o.channel === 'sms' && o.customer.id === customerId, 'Sam’s SMS');
    expect(smsOffer.messages.map((m: any) => m.text)).toEqual(['Hi, it is Sam, texting as promised.']);
    expect(smsOffer.history).toEqual([expect.objectContaining({ id: emailOffer.contactId, channel: 'email' })]);
    await accept(smsOffer);

    const timeline = await request(t.url).get(`/customers/${customerId}/timeline`).set('Authorization', `Bearer ${supervisorToken}`).expect(200);
    expect(timeline.body.total).toBe(2);
    expect(timeline.body.items.map((c: any) => [c.id, c.channel, c.address, c.messages.map((m: any) => m.text)])).toEqual([
      [smsOffer.contactId, 'sms', '+14155550142', ['Hi, it is Sam, texting as promised.']],
      [emailOffer.contactId, 'email', sam, ['I will text you from my phone.']],
    ]);
    await close(smsOffer.contactId);
    await close(emailOffer.contactId);
  });

  it('keeps a mail’s attachments in the order the mail carries them', async () => {
    const ann = `ann-${uid()}@customer.test`;
    const names = ['1-front.jpg', '2-back.jpg', '3-label.jpg', '4-receipt.jpg', '5-box.jpg', '6-serial.jpg'];
    await mail({
      from: ann,
      to: 'support@example.com',
      subject: 'Photos, in order',
      text: 'Photos 1 to 6 as numbered.',
      attachments: names.map((filename) => ({ filename, content: Buffer.from(filename), contentType: 'image/jpeg' })),
    });
    const offer = await offerFor(ann);
    await accept(offer);
    await close(offer.contactId);
    expect(offer.messages[0].attachments.map((a: any) => a.filename)).toEqual(names);
    expect((await contact(offer.contactId)).messages[0].attachments.map((a: any) => a.filename)).toEqual(names);
  });

  // Each test below shows a defect found while writing this suite: it fails until the product is fixed.
  describe('defects found (each fails until fixed)', () => {
    it('gives fullText only when the text shown is shortened (nothing quoted, nothing stripped: no fullText)', async () => {
      const ned = `ned-${uid()}@customer.test`;
      await mail({ from: ned, to: 'support@example.com', subject: 'Plain question', text: 'Do you ship to Norway?' });
      const offer = await offerFor(ned);
      await accept(offer);
      await close(offer.contactId);
      expect(offer.messages[0].text).toBe('Do you ship to Norway?');
      expect(offer.messages[0].fullText).toBeUndefined();
    });

    it('takes Postmark mail forwarded from our mailbox to the server’s inbound hash address (OriginalRecipient is the hash, To is ours)', async () => {
      const fay = `fay-${uid()}@customer.test`;
      const res = await request(t.url)
        .post('/channels/email/postmark')
        .set('Authorization', basic('postmark:pm-secret'))
        .send({
          ...postmarkPayload({ from: fay, name: 'Fay Forward', subject: 'Forwarded to Postmark', text: 'Hello via forwarding.', messageId: `<fwd-${uid()}@customer.test>` }),
          OriginalRecipient: '451d9b70cf9364d23ff6f9d51d870251569e@inbound.postmarkapp.com',
        });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { outcome: 'accepted' } });
      const offer = await offerFor(fay);
      await accept(offer);
      await close(offer.contactId);
    });

    it('refuses for good (5xx) a mail with no usable sender, instead of a 451 that has the sending server retry it for days', async () => {
      const raw = ['To: support@example.com', 'Subject: Who sent this?', `Message-ID: <nofrom-${uid()}@relay.test>`, 'MIME-Version: 1.0', 'Content-Type: text/plain', '', 'No sender anywhere.', ''].join('\r\n');
      const refused = await customer.sendMail({ envelope: { from: '', to: ['support@example.com'] }, raw }).then(
        () => null,
        (e: any) => e,
      );
      expect({ responseCode: refused?.responseCode, response: refused?.response }).toEqual({ responseCode: expect.any(Number), response: expect.stringMatching(/^5\d\d /) });
    });
  });
});

/** Postmark's inbound webhook JSON, with the fields Postmark posts. */
function postmarkPayload(p: {
  from: string;
  name?: string;
  to?: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  attachments?: { Name: string; Content: string; ContentType: string; ContentLength: number }[];
}) {
  const to = p.to ?? 'support@example.com';
  return {
    FromName: p.name ?? '',
    MessageStream: 'inbound',
    From: p.from,
    FromFull: { Email: p.from, Name: p.name ?? '', MailboxHash: '' },
    To: to,
    ToFull: [{ Email: to, Name: '', MailboxHash: '' }],
    Cc: '',
    CcFull: [],
    Bcc: '',
    BccFull: [],
    OriginalRecipient: to,
    Subject: p.subject,
    MessageID: randomUUID(),
    ReplyTo: '',
    MailboxHash: '',
    Date: new Date().toUTCString(),
    TextBody: p.text,
    HtmlBody: p.html ?? '',
    StrippedTextReply: '',
    Tag: '',
    Headers: [
      { Name: 'Return-Path', Value: `<${p.from}>` },
      { Name: 'Message-ID', Value: p.messageId },
      { Name: 'X-Spam-Status', Value: 'No' },
    ],
    Attachments: p.attachments ?? [],
  };
}

/** A delivery status notification as Postfix writes it (RFC 3464), for a reply of ours that could not be delivered. */
function deliveryStatusNotification(p: { recipient: string; originalMessageId: string; subject: string }): string {
  const boundary = `dsn-${uid()}`;
  return [
    'From: Mail Delivery System <MAILER-DAEMON@relay.customer.test>',
    'To: support@example.com',
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <dsn-${uid()}@relay.customer.test>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host relay.customer.test.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<${p.recipient}>: host mx.customer.test said: 550 5.1.1 User unknown`,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; relay.customer.test',
    `Arrival-Date: ${new Date().toUTCString()}`,
    '',
    `Final-Recipient: rfc822; ${p.recipient}`,
    `Original-Recipient: rfc822;${p.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.customer.test',
    `Diagnostic-Code: smtp; 550 5.1.1 <${p.recipient}>: Recipient address rejected: User unknown`,
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Support <support@example.com>',
    `To: ${p.recipient}`,
    `Subject: ${p.subject}`,
    `Message-ID: ${p.originalMessageId}`,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
