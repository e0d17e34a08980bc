import request from 'supertest';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job } from 'bullmq';
import { parseDocument } from 'htmlparser2';
import { isDirective, isTag, isText, type ChildNode } from 'domhandler';
import { JobsService } from '@cc/platform';
import { type InboundMessageJob, QueueName } from '@cc/shared';
import { jobOptions } from '../libs/platform/queues/job-options';
import { startApp, type TestApp } from './support/app';
import { type AgentClient, connectAgent, eventually, login, waitForEvent } from './support/clients';
import { FakeTwilioRest, TWILIO_TEST_ACCOUNT, twilioSid, twilioSignature } from './support/fake-twilio';

const PUBLIC_URL = 'https://cc.example.test';
const SUPPORT_NUMBER = '+14155550100';
const SALES_NUMBER = '+14155550199';
const HELP_REPLY = 'Acme: reply STOP to opt out.';
const ACME_SECRET = 'acme-shared-secret';
const INBOUND_PATH = '/channels/twilio/sms';
const STATUS_PATH = '/channels/twilio/sms/status';
const MESSAGES_PATH = `/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Messages.json`;
const WRONG_TOKEN = 'not-the-auth-token-9876543210';

interface StatusEvent {
  contactId: string;
  messageId: string;
  delivery: { status: string; errorCode: string | null; error: string | null };
}

/** One agent's desk, with everything the server pushed to it recorded. */
interface Desk {
  email: string;
  id: string;
  token: string;
  client: AgentClient;
  statuses: StatusEvent[];
}

/**
 * Sits between the app and FakeTwilioRest and remembers the SID Twilio answered for each message it
 * created, so the suite can check that the app stored Twilio's own id (the one its callbacks name).
 */
class SidTap {
  readonly created: { to: string; body: string; sid: string }[] = [];
  /** runs once Twilio has created a message and before the app hears of it */
  beforeAnswer: ((created: { to: string; body: string; sid: string }) => Promise<void>) | null = null;
  private server!: Server;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  sidFor(body: string): string | undefined {
    return this.created.find((c) => c.body === body)?.sid;
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(this.target + (req.url ?? '/'), {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
      });
      const text = await upstream.text();
      if (upstream.status === 201) {
        const json = JSON.parse(text);
        const created = { to: json.to, body: json.body, sid: json.sid };
        this.created.push(created);
        await this.beforeAnswer?.(created);
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    return this;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

describe('the SMS channel: Twilio and generic webhooks in, Twilio REST out, carrier keywords', () => {
  let t: TestApp;
  let fake: FakeTwilioRest;
  let tap: SidTap;
  let alice: Desk;
  let bob: Desk;
  /** every offer either agent received, in order */
  const offers: { desk: Desk; offer: any; taken: boolean }[] = [];

  async function openDesk(email: string): Promise<Desk> {
    const token = await login(t.url, email, 'agent-demo');
    const client = await connectAgent(t.url, token);
    const desk: Desk = { email, id: client.initialState.agentId, token, client, statuses: [] };
    client.socket.on('offer', (offer: any) => offers.push({ desk, offer, taken: false }));
    client.socket.on('message:status', (e: StatusEvent) => desk.statuses.push(e));
    expect(await client.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true, presence: 'available' });
    return desk;
  }

  beforeAll(async () => {
    fake = await new FakeTwilioRest().start();
    // the app talks to FakeTwilioRest through the tap (which changes nothing on the way)
    tap = await new SidTap(fake.url).start();
    t = await startApp({
      env: {
        PUBLIC_URL,
        TWILIO_ACCOUNT_SID: TWILIO_TEST_ACCOUNT.sid,
        TWILIO_AUTH_TOKEN: TWILIO_TEST_ACCOUNT.token,
        TWILIO_API_BASE_URL: tap.url,
        SMS_NUMBER_QUEUES: `${SUPPORT_NUMBER}=Support,${SALES_NUMBER}=Sales`,
        SMS_WEBHOOK_SECRETS: `acme=${ACME_SECRET}`,
        OUTBOUND_BACKOFF_MS: '200',
        OUTBOUND_ATTEMPTS: '3',
        SMS_HELP_REPLY: HELP_REPLY,
      },
    });
    alice = await openDesk('alice@demo.local');
    bob = await openDesk('bob@demo.local');
  });

  afterEach(async () => {
    await closeEverything();
  });

  afterAll(async () => {
    alice?.client.close();
    bob?.client.close();
    await t?.close();
    await tap?.stop();
    await fake?.stop();
  });

  // ---------------------------------------------------------------------------------------------
  // helpers

  /** The fields Twilio posts for an incoming SMS (or MMS), as its webhook really sends them. */
  function twilioSms(o: { from: string; to?: string; body: string; sid?: string; extra?: Record<string, string>; messagingService?: boolean }): Record<string, string> {
    const sid = o.sid ?? twilioSid('SM');
    return {
      ToCountry: 'US',
      ToState: 'CA',
      SmsMessageSid: sid,
      NumMedia: '0',
      ToCity: 'SAN FRANCISCO',
      FromZip: '94103',
      SmsSid: sid,
      FromState: 'CA',
      SmsStatus: 'received',
      FromCity: 'SAN FRANCISCO',
      Body: o.body,
      FromCountry: 'US',
      To: o.to ?? SUPPORT_NUMBER,
      ...(o.messagingService === false ? {} : { MessagingServiceSid: twilioSid('MG') }),
      ToZip: '94105',
      NumSegments: '1',
      MessageSid: sid,
      AccountSid: TWILIO_TEST_ACCOUNT.sid,
      From: o.from,
      ApiVersion: '2010-04-01',
      ...o.extra,
    };
  }

  /** The fields of Twilio's status callback for a message we sent. */
  function twilioStatus(sid: string, status: string, to: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      SmsSid: sid,
      SmsStatus: status,
      MessageStatus: status,
      To: to,
      MessageSid: sid,
      AccountSid: TWILIO_TEST_ACCOUNT.sid,
      From: SUPPORT_NUMBER,
      ApiVersion: '2010-04-01',
      ...extra,
    };
  }

  /**
   * Posts form fields to a Twilio webhook, signed as Twilio signs them (over the public URL and the
   * fields) unless told otherwise.
   */
  function postTwilio(path: string, fields: Record<string, string>, sign: { token?: string; url?: string; signedFields?: Record<string, string> } | 'unsigned' = {}) {
    const req = request(t.url).post(path).type('form').send(fields);
    if (sign === 'unsigned') return req;
    return req.set('X-Twilio-Signature', twilioSignature(sign.token ?? TWILIO_TEST_ACCOUNT.token, sign.url ?? PUBLIC_URL + path, sign.signedFields ?? fields));
  }

  const hmac = (secret: string, raw: string) => createHmac('sha256', secret).update(raw, 'utf8').digest('hex');

  /** Posts a raw body to the generic webhook, signed with acme's secret unless told otherwise (null: no signature). */
  function postGeneric(provider: string, raw: string, o: { signature?: string | null; contentType?: string } = {}) {
    const signature = o.signature === undefined ? `sha256=${hmac(ACME_SECRET, raw)}` : o.signature;
    const req = request(t.url).post(`/channels/sms/${provider}`).set('Content-Type', o.contentType ?? 'application/json');
    if (signature !== null) req.set('X-Signature', signature);
    return req.send(raw);
  }

  /** The next offer (to either agent) that matches, not yet taken by an earlier wait. */
  async function nextOffer(match: (offer: any) => boolean, what = 'an offer'): Promise<{ desk: Desk; offer: any }> {
    const found = await eventually(async () => offers.find((o) => !o.taken && match(o.offer)), 15_000, what);
    found.taken = true;
    return found;
  }

  /** A customer texts in; the agent offered the contact accepts it. */
  async function openConversation(customer: string, to = SUPPORT_NUMBER, text = 'Hello, I need a hand') {
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, to, body: text })).expect(200);
    const { desk, offer } = await nextOffer((o) => o.customer.phone === customer, `an offer of ${customer}'s SMS`);
    expect(await desk.client.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { contactId: offer.contactId, state: 'active' } });
    return { desk, offer, contactId: offer.contactId as string };
  }

  async function send(desk: Desk, contactId: string, text: string): Promise<any> {
    const ack = await desk.client.ack('message:send', { contactId, clientMessageId: randomUUID(), text });
    expect(ack).toMatchObject({ ok: true, message: { contactId, direction: 'outbound', text, delivery: { status: 'pending' } } });
    return ack.message;
  }

  /** The message:status the agent received for that message with that status. */
  const statusOf = (desk: Desk, messageId: string, status: string) =>
    eventually(async () => desk.statuses.find((s) => s.messageId === messageId && s.delivery.status === status), 15_000, `message:status ${status} of ${messageId}`);

  const statusesOf = (desk: Desk, messageId: string) => desk.statuses.filter((s) => s.messageId === messageId).map((s) => s.delivery.status);

  /** An agent's reply, sent and accepted by Twilio; with the SID Twilio gave it. */
  async function replyAccepted(desk: Desk, contactId: string, text: string): Promise<{ messageId: string; sid: string }> {
    const message = await send(desk, contactId, text);
    await statusOf(desk, message.id, 'queued');
    const sid = tap.sidFor(text);
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    return { messageId: message.id, sid: sid! };
  }

  const contactDetail = async (desk: Desk, contactId: string) =>
    (await request(t.url).get(`/contacts/${contactId}`).set('Authorization', `Bearer ${desk.token}`).expect(200)).body;

  async function rowCounts() {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM contacts)::int AS contacts,
              (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM customer_identities)::int AS identities,
              (SELECT count(*) FROM message_attachments)::int AS attachments, (SELECT count(*) FROM sms_keyword_log)::int AS keywords`,
    );
    return rows[0];
  }

  const queue = (name: QueueName) => t.app.get(JobsService).queue(name);

  /** The inbound job of that SMS, once it has run to completion. */
  function inboundJobDone(address: string, externalId: string): Promise<Job> {
    const { jobId } = jobOptions('inbound.message', { channel: 'sms', address, externalId } as InboundMessageJob, t.config);
    return jobDone(QueueName.Inbound, jobId!);
  }

  function jobDone(name: QueueName, jobId: string): Promise<Job> {
    return eventually(
      async () => {
        const job = await queue(name).getJob(jobId);
        if (job?.failedReason && (await job.isFailed())) throw new Error(`job ${jobId} failed: ${job.failedReason}`);
        if (!job || !(await job.isCompleted())) return null;
        // read it again: the first read can predate the completion isCompleted saw, and lack its return value
        return (await queue(name).getJob(jobId)) ?? null;
      },
      15_000,
      `job ${jobId} completed`,
    );
  }

  function expectEmptyTwiml(xml: string): void {
    const significant = (nodes: ChildNode[]) => nodes.filter((n) => !(isText(n) && n.data.trim() === ''));
    const top = significant(parseDocument(xml, { xmlMode: true }).children);
    // nothing but an optional XML declaration and the root
    expect(top.filter((n) => !isTag(n)).every((n) => isDirective(n) && n.name === '?xml')).toBe(true);
    const roots = top.filter(isTag);
    expect(roots.map((r) => r.name)).toEqual(['Response']);
    expect(significant(roots[0].children)).toEqual([]);
  }

  /**
   * Leaves no contact open and no job in flight behind a test: offers are accepted and every
   * conversation wrapped up by the agent holding it, so capacity and presence do not leak.
   */
  async function closeEverything(): Promise<void> {
    const desks = [alice, bob].filter(Boolean);
    await eventually(
      async () => {
        const { rows } = await t.db.query(
          `SELECT c.id, c.state, c.agent_id, o.id AS offer_id FROM contacts c
             LEFT JOIN contact_offers o ON o.contact_id = c.id AND o.status = 'pending'
            WHERE c.state IN ('queued', 'offered', 'active', 'wrap_up')`,
        );
        for (const r of rows) {
          const desk = desks.find((d) => d.id === r.agent_id);
          if (!desk) continue; // still queued: routing will offer it
          if (r.state === 'offered' && r.offer_id) await desk.client.ack('offer:accept', { offerId: r.offer_id });
          await desk.client.ack('contact:wrapup', { contactId: r.id, disposition: 'test-cleanup' });
        }
        if (rows.length) return false;
        for (const name of [QueueName.Inbound, QueueName.Outbound]) {
          const counts = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
          if (Object.values(counts).some((n) => n > 0)) return false;
        }
        return true;
      },
      25_000,
      'every contact closed and no job in flight',
    );
    for (const o of offers) o.taken = true;
  }

  // ---------------------------------------------------------------------------------------------

  it('takes an SMS as Twilio posts it, offers it to an agent, and sends the reply through Twilio from the number the customer texted', async () => {
    const customer = '+14155550111';
    const sms = twilioSms({ from: customer, body: 'Hi, my parcel has not arrived' });
    const res = await postTwilio(INBOUND_PATH, sms).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml\b/);
    expectEmptyTwiml(res.text);

    const { desk, offer } = await nextOffer((o) => o.customer.phone === customer);
    expect(offer).toMatchObject({
      channel: 'sms',
      queue: { name: 'Support' },
      customer: { phone: customer },
      messages: [{ text: 'Hi, my parcel has not arrived', direction: 'inbound', author: { type: 'customer', id: null } }],
      history: [],
    });
    const contactId = offer.contactId;
    expect(await desk.client.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({
      ok: true,
      contact: { contactId, channel: 'sms', state: 'active', customer: { phone: customer } },
    });

    const before = fake.messages.length;
    const reply = 'Sorry about that! It ships today.';
    const message = await send(desk, contactId, reply);
    expect(message.author).toMatchObject({ type: 'agent', id: desk.id });

    const sent = await eventually(async () => fake.messages.find((r) => r.form.Body === reply), 15_000, 'the reply at Twilio');
    expect(sent).toEqual({
      method: 'POST',
      path: MESSAGES_PATH,
      auth: { user: TWILIO_TEST_ACCOUNT.sid, password: TWILIO_TEST_ACCOUNT.token },
      form: { To: customer, From: SUPPORT_NUMBER, Body: reply, StatusCallback: `${PUBLIC_URL}${STATUS_PATH}` },
    });

    expect(await statusOf(desk, message.id, 'queued')).toEqual({ contactId, messageId: message.id, delivery: { status: 'queued', errorCode: null, error: null } });
    expect(fake.messages.length).toBe(before + 1);

    const detail = await contactDetail(desk, contactId);
    expect(detail).toMatchObject({ channel: 'sms', address: customer, channelAddress: SUPPORT_NUMBER, state: 'active', queue: { name: 'Support' }, agentId: desk.id });
    expect(detail.messages.map((m: any) => [m.direction, m.text, m.delivery ?? null])).toEqual([
      ['inbound', 'Hi, my parcel has not arrived', null],
      ['outbound', reply, { status: 'queued', errorCode: null, error: null }],
    ]);
    // Twilio's own SID for each message: the one its status callbacks will name
    const { rows } = await t.db.query(`SELECT direction, provider_message_id FROM messages WHERE contact_id = $1 ORDER BY created_at`, [contactId]);
    expect(rows).toEqual([
      { direction: 'inbound', provider_message_id: sms.MessageSid },
      { direction: 'outbound', provider_message_id: tap.sidFor(reply) },
    ]);
    expect(tap.sidFor(reply)).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it("applies Twilio's signed status callbacks, only forward, and records and reports a failed delivery", async () => {
    const customer = '+14155550112';
    const { desk, contactId } = await openConversation(customer);
    const first = await replyAccepted(desk, contactId, 'We have found your parcel.');
    const second = await replyAccepted(desk, contactId, 'The courier will call you.');

    const sent = await postTwilio(STATUS_PATH, twilioStatus(first.sid, 'sent', customer)).expect(204);
    expect(sent.text).toBe('');
    expect(await statusOf(desk, first.messageId, 'sent')).toEqual({ contactId, messageId: first.messageId, delivery: { status: 'sent', errorCode: null, error: null } });
    await postTwilio(STATUS_PATH, twilioStatus(first.sid, 'delivered', customer, { RawDlrDoneDate: '2501011200' })).expect(204);
    await statusOf(desk, first.messageId, 'delivered');

    // a late 'sent' does not move it back, and neither does a forged 'failed'
    await postTwilio(STATUS_PATH, twilioStatus(first.sid, 'sent', customer)).expect(204);
    await postTwilio(STATUS_PATH, twilioStatus(first.sid, 'failed', customer, { ErrorCode: '30008' }), { token: WRONG_TOKEN }).expect(403);
    const delivered = await t.db.query(`SELECT delivery_status, delivery_error_code FROM messages WHERE id = $1`, [first.messageId]);
    expect(delivered.rows).toEqual([{ delivery_status: 'delivered', delivery_error_code: null }]);

    await postTwilio(STATUS_PATH, twilioStatus(second.sid, 'undelivered', customer, { ErrorCode: '30003' })).expect(204);
    expect(await statusOf(desk, second.messageId, 'undelivered')).toEqual({
      contactId,
      messageId: second.messageId,
      delivery: { status: 'undelivered', errorCode: '30003', error: 'Twilio error 30003' },
    });
    // by the time that reached the agent, a status pushed for the late 'sent' would have too: there was none
    expect(statusesOf(desk, first.messageId)).toEqual(['queued', 'sent', 'delivered']);

    const undelivered = await t.db.query(`SELECT delivery_status, delivery_error_code FROM messages WHERE id = $1`, [second.messageId]);
    expect(undelivered.rows).toEqual([{ delivery_status: 'undelivered', delivery_error_code: '30003' }]);
    const detail = await contactDetail(desk, contactId);
    expect(detail.messages.filter((m: any) => m.direction === 'outbound').map((m: any) => [m.id, m.delivery])).toEqual([
      [first.messageId, { status: 'delivered', errorCode: null, error: null }],
      [second.messageId, { status: 'undelivered', errorCode: '30003', error: 'Twilio error 30003' }],
    ]);
    const failures = detail.events.filter((e: any) => e.type === 'delivery_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ actor: { type: 'system' }, data: { messageId: second.messageId, errorCode: '30003' } });
  });

  it('refuses webhooks that Twilio did not sign, storing nothing, and stores a replayed MessageSid once', async () => {
    const customer = '+14155550113';
    const genuine = twilioSms({ from: customer, body: 'Please call me back' });
    const before = await rowCounts();

    const refusals = [
      // the body changed after signing
      postTwilio(INBOUND_PATH, { ...genuine, Body: 'Send me a refund of $500' }, { signedFields: genuine }),
      // a field added after signing
      postTwilio(INBOUND_PATH, { ...genuine, NumMedia: '1', MediaUrl0: 'https://evil.example/x.png' }, { signedFields: genuine }),
      postTwilio(INBOUND_PATH, genuine, 'unsigned'),
      postTwilio(INBOUND_PATH, genuine, { token: WRONG_TOKEN }),
      // signed over the address the app listens on, not the public URL Twilio calls
      postTwilio(INBOUND_PATH, genuine, { url: `${t.url}${INBOUND_PATH}` }),
    ];
    for (const refused of refusals) {
      const res = await refused.expect(403);
      // (read from the text: the answer is labelled text/xml, see the test on error answers below)
      expect(JSON.parse(res.text)).toMatchObject({ statusCode: 403, error: 'forbidden' });
    }
    expect(await rowCounts()).toEqual(before);
    const { jobId } = jobOptions('inbound.message', { channel: 'sms', address: customer, externalId: genuine.MessageSid } as InboundMessageJob, t.config);
    expect(await queue(QueueName.Inbound).getJob(jobId!)).toBeFalsy();

    // the genuine webhook, posted twice at once (Twilio retries on a slow answer)
    await Promise.all([postTwilio(INBOUND_PATH, genuine).expect(200), postTwilio(INBOUND_PATH, genuine).expect(200)]);
    const { desk, offer } = await nextOffer((o) => o.customer.phone === customer);
    expect(offer.messages.map((m: any) => m.text)).toEqual(['Please call me back']);
    const firstJob = await inboundJobDone(customer, genuine.MessageSid);
    expect(firstJob.returnvalue).toMatchObject({ contactId: offer.contactId });

    // posted again once it was processed
    await postTwilio(INBOUND_PATH, genuine).expect(200);
    // and again after the queue forgot the job (its retention ran out): the stored message catches it
    await firstJob.remove();
    await postTwilio(INBOUND_PATH, genuine).expect(200);
    const replayed = await inboundJobDone(customer, genuine.MessageSid);
    expect(replayed.returnvalue).toEqual({ duplicate: true });

    const stored = await t.db.query(`SELECT m.body, c.address FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.address = $1`, [customer]);
    expect(stored.rows).toEqual([{ body: 'Please call me back', address: customer }]);
    const counts = await rowCounts();
    expect(counts).toEqual({ ...before, messages: before.messages + 1, contacts: before.contacts + 1, customers: before.customers + 1, identities: before.identities + 1 });
    expect((await contactDetail(desk, offer.contactId)).messages).toHaveLength(1);
  });

  it("joins an open contact, recognises the number however it is written, and offers the customer's next contact to their last agent", async () => {
    const customer = '+14155550123';
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, body: 'Hello, a question about my bill' })).expect(200);
    const { desk: first, offer } = await nextOffer((o) => o.customer.phone === customer);
    const other = first === alice ? bob : alice;
    const contactId = offer.contactId;
    await first.client.ack('offer:accept', { offerId: offer.offerId });

    const second = waitForEvent(first.client.socket, 'message', (m) => m.text === 'It is invoice 1234');
    // (a number texted directly, not through a Messaging Service: no MessagingServiceSid)
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, body: 'It is invoice 1234', messagingService: false })).expect(200);
    expect(await second).toMatchObject({ contactId, direction: 'inbound', author: { type: 'customer' } });

    // the same number written another way (DEFAULT_PHONE_REGION US), through the generic webhook
    const third = waitForEvent(first.client.socket, 'message', (m) => m.text === 'Sent from my other app');
    const raw = JSON.stringify({ id: `m-${randomUUID()}`, from: '(415) 555-0123', to: SUPPORT_NUMBER, text: 'Sent from my other app' });
    await postGeneric('acme', raw).expect(202);
    expect(await third).toMatchObject({ contactId, direction: 'inbound' });

    const contacts = await t.db.query(`SELECT id, customer_id, address FROM contacts WHERE channel = 'sms' AND customer_id = (SELECT customer_id FROM contacts WHERE id = $1)`, [contactId]);
    expect(contacts.rows).toEqual([{ id: contactId, customer_id: expect.any(String), address: customer }]);
    const identities = await t.db.query(`SELECT kind, value FROM customer_identities WHERE customer_id = $1`, [contacts.rows[0].customer_id]);
    expect(identities.rows).toEqual([{ kind: 'phone', value: customer }]);
    const phones = await t.db.query(`SELECT count(*)::int AS n FROM customer_identities WHERE kind = 'phone' AND regexp_replace(value, '\\D', '', 'g') LIKE '%4155550123'`);
    expect(phones.rows[0].n).toBe(1);
    expect((await contactDetail(first, contactId)).messages.map((m: any) => m.text)).toEqual([
      'Hello, a question about my bill',
      'It is invoice 1234',
      'Sent from my other app',
    ]);

    expect(await first.client.ack('contact:end', { contactId })).toEqual({ ok: true });
    expect(await first.client.ack('contact:wrapup', { contactId, disposition: 'resolved', note: 'explained the bill' })).toEqual({ ok: true });

    // the other agent is available, free, and would come first by idle time: the first agent has just finished
    const otherState = await other.client.ack('agent:state');
    expect(otherState.state).toMatchObject({ presence: 'available', offers: [], contacts: [] });
    const idle = await t.db.query(`SELECT user_id, idle_since FROM agents WHERE user_id = ANY($1)`, [[first.id, other.id]]);
    const idleSince = new Map(idle.rows.map((r: any) => [r.user_id, new Date(r.idle_since).getTime()]));
    expect(idleSince.get(other.id)!).toBeLessThan(idleSince.get(first.id)!);

    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, body: 'Me again, one more thing' })).expect(200);
    const next = await nextOffer((o) => o.customer.phone === customer);
    expect(next.desk).toBe(first);
    expect(next.offer.contactId).not.toBe(contactId);
    expect(next.offer).toMatchObject({
      channel: 'sms',
      messages: [{ text: 'Me again, one more thing' }],
      history: [{ id: contactId, channel: 'sms', state: 'closed', disposition: 'resolved', wrapUpNote: 'explained the bill' }],
    });
    const offered = (await contactDetail(first, next.offer.contactId)).events.find((e: any) => e.type === 'offered');
    expect(offered).toMatchObject({ reason: 'sticky_last_agent', data: { agentId: first.id } });
  });

  it('carries MMS media as attachments, and refuses media Twilio says is there but did not send', async () => {
    const customer = '+14155550115';
    const sid = twilioSid('MM');
    const mediaUrl = () => `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Messages/${sid}/Media/${twilioSid('ME')}`;
    const [url0, url1] = [mediaUrl(), mediaUrl()];
    const mms = twilioSms({
      from: customer,
      sid,
      body: 'Here is the damage',
      extra: { NumMedia: '2', MediaUrl0: url0, MediaContentType0: 'image/jpeg', MediaUrl1: url1, MediaContentType1: 'image/png' },
    });
    await postTwilio(INBOUND_PATH, mms).expect(200);
    const { offer } = await nextOffer((o) => o.customer.phone === customer);
    expect(offer.messages).toHaveLength(1);
    expect(offer.messages[0]).toMatchObject({ text: 'Here is the damage', direction: 'inbound' });
    const attachments = offer.messages[0].attachments;
    expect(attachments).toHaveLength(2);
    // each url keeps its own content type
    expect(attachments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ url: url0, contentType: 'image/jpeg' }),
        expect.objectContaining({ url: url1, contentType: 'image/png' }),
      ]),
    );

    const before = await rowCounts();
    const broken = twilioSms({ from: '+14155550116', sid: twilioSid('MM'), body: 'photo', extra: { NumMedia: '1', MediaContentType0: 'image/jpeg' } });
    const res = await postTwilio(INBOUND_PATH, broken).expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ statusCode: 400, error: 'validation_failed', message: expect.stringContaining('MediaUrl0') });
    expect(await rowCounts()).toEqual(before);
  });

  it('keeps MMS media in the order Twilio numbered them', async () => {
    const customer = '+14155550117';
    const sid = twilioSid('MM');
    const urls = Array.from({ length: 10 }, (_, i) => `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Messages/${sid}/Media/ME${String(i).padStart(32, '0')}`);
    const extra: Record<string, string> = { NumMedia: String(urls.length) };
    urls.forEach((url, i) => Object.assign(extra, { [`MediaUrl${i}`]: url, [`MediaContentType${i}`]: 'image/jpeg' }));
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, sid, body: 'Ten photos, in order', extra })).expect(200);
    const { desk, offer } = await nextOffer((o) => o.customer.phone === customer);
    expect(offer.messages[0].attachments.map((a: any) => a.url)).toEqual(urls);
    await desk.client.ack('offer:accept', { offerId: offer.offerId });
    expect((await contactDetail(desk, offer.contactId)).messages[0].attachments.map((a: any) => a.url)).toEqual(urls);
  });

  it('takes the generic JSON webhook signed with HMAC-SHA256 of the raw body, and refuses anything else storing nothing', async () => {
    const raw = '{"id":"m-1","from":"+14155550123","to":"+14155550100","text":"hi"}';
    const before = await rowCounts();

    const refusals: [string, ReturnType<typeof postGeneric>, number, string][] = [
      ['signed with another secret', postGeneric('acme', raw, { signature: `sha256=${hmac('another-secret', raw)}` }), 403, 'forbidden'],
      ['a signature of another body', postGeneric('acme', raw, { signature: `sha256=${hmac(ACME_SECRET, raw.replace('"hi"', '"yo"'))}` }), 403, 'forbidden'],
      ['not hex', postGeneric('acme', raw, { signature: 'sha256=not-a-signature' }), 403, 'forbidden'],
      ['no signature', postGeneric('acme', raw, { signature: null }), 403, 'forbidden'],
      ['an unknown provider', postGeneric('globex', raw), 404, 'not_found'],
      ['not JSON', postGeneric('acme', raw, { contentType: 'text/plain' }), 400, 'validation_failed'],
      ['form-encoded', postGeneric('acme', 'id=m-1&from=%2B14155550123&to=%2B14155550100&text=hi', { contentType: 'application/x-www-form-urlencoded' }), 400, 'validation_failed'],
      ['malformed JSON', postGeneric('acme', '{"id":"m-2","from":"+14155550123",'), 400, 'validation_failed'],
      ['no from', postGeneric('acme', '{"id":"m-3","to":"+14155550100","text":"hi"}'), 400, 'validation_failed'],
      ['from not a phone number', postGeneric('acme', '{"id":"m-4","from":"call me maybe","to":"+14155550100","text":"hi"}'), 400, 'validation_failed'],
      ['from an email address', postGeneric('acme', '{"id":"m-5","from":"jane@example.com","to":"+14155550100","text":"hi"}'), 400, 'validation_failed'],
      ['from too short to be a number', postGeneric('acme', '{"id":"m-6","from":"123","to":"+14155550100","text":"hi"}'), 400, 'validation_failed'],
    ];
    for (const [why, refused, status, error] of refusals) {
      const res = await refused;
      expect({ why, status: res.status, error: res.body.error }).toEqual({ why, status, error });
    }
    expect(await rowCounts()).toEqual(before);

    const accepted = await postGeneric('acme', raw).expect(202);
    expect(accepted.body).toEqual({ accepted: true });
    const stored = await eventually(
      async () =>
        (
          await t.db.query(
            `SELECT m.body, m.direction, m.author_type, c.channel, c.address, c.channel_address, q.name AS queue
               FROM messages m JOIN contacts c ON c.id = m.contact_id JOIN queues q ON q.id = c.queue_id WHERE m.client_message_id = 'acme:m-1'`,
          )
        ).rows[0],
      15_000,
      'the generic SMS stored',
    );
    expect(stored).toEqual({ body: 'hi', direction: 'inbound', author_type: 'customer', channel: 'sms', address: '+14155550123', channel_address: SUPPORT_NUMBER, queue: 'Support' });
    await inboundJobDone('+14155550123', 'acme:m-1');
    expect((await rowCounts()).messages).toBe(before.messages + 1);
  });

  it("retries Twilio's transient failures with backoff, and fails a refused message at once with Twilio's code", async () => {
    const customer = '+14155550118';
    const { desk, offer, contactId } = await openConversation(customer, SALES_NUMBER);
    expect(offer.queue.name).toBe('Sales');
    expect(desk).toBe(alice); // the only agent of Sales

    fake.failNext(2, 500, 20500, 'Internal Server Error');
    const text = 'Your replacement is on its way';
    const message = await send(desk, contactId, text);
    await statusOf(desk, message.id, 'queued');
    expect(statusesOf(desk, message.id)).toEqual(['retrying', 'retrying', 'queued']);
    expect(desk.statuses.find((s) => s.messageId === message.id)!.delivery).toMatchObject({ status: 'retrying', errorCode: '20500' });
    const tries = fake.messages.filter((r) => r.form.Body === text);
    expect(tries).toHaveLength(3);
    for (const r of tries) expect(r.form).toEqual({ To: customer, From: SALES_NUMBER, Body: text, StatusCallback: `${PUBLIC_URL}${STATUS_PATH}` });
    const retried = await t.db.query(`SELECT delivery_status, delivery_error_code, delivery_error, provider_message_id FROM messages WHERE id = $1`, [message.id]);
    expect(retried.rows).toEqual([{ delivery_status: 'queued', delivery_error_code: null, delivery_error: null, provider_message_id: tap.sidFor(text) }]);
    expect((await jobDone(QueueName.Outbound, `out_${message.id}`)).returnvalue).toEqual({ outcome: 'sent' });

    fake.failNext(1, 400, 21211, "The 'To' number +14155550118 is not a valid phone number.");
    const before = fake.messages.length;
    const refusedText = 'Can you confirm your number?';
    const refused = await send(desk, contactId, refusedText);
    const failed = await statusOf(desk, refused.id, 'failed');
    expect(failed).toEqual({ contactId, messageId: refused.id, delivery: { status: 'failed', errorCode: '21211', error: expect.stringContaining('is not a valid phone number') } });
    // its job is finished (not waiting for another try): one request, never retried
    expect((await jobDone(QueueName.Outbound, `out_${refused.id}`)).returnvalue).toEqual({ outcome: 'failed' });
    expect(fake.messages.length).toBe(before + 1);
    expect(statusesOf(desk, refused.id)).toEqual(['failed']);

    const detail = await contactDetail(desk, contactId);
    expect(detail.messages.find((m: any) => m.id === refused.id).delivery).toEqual({
      status: 'failed',
      errorCode: '21211',
      error: expect.stringContaining('is not a valid phone number'),
    });
    expect(detail.messages.find((m: any) => m.id === message.id).delivery).toEqual({ status: 'queued', errorCode: null, error: null });
    const failures = detail.events.filter((e: any) => e.type === 'delivery_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ actor: { type: 'system' }, data: { messageId: refused.id, errorCode: '21211' } });
  });

  it('still sends a reply whose delivery job was lost, or failed without sending, when the sweep finds it pending', async () => {
    const customer = '+14155550150';
    const { desk, contactId } = await openConversation(customer);
    const message = await send(desk, contactId, 'First, the normal way');
    await jobDone(QueueName.Outbound, `out_${message.id}`);
    // a reply stored as pending whose enqueue never happened (the process died in between)
    const lost = await t.db.query(
      `INSERT INTO messages (contact_id, direction, author_type, body, external_id, delivery_status, created_at)
       VALUES ($1, 'outbound', 'agent', 'Sent after a crash', $2, 'pending', now() - interval '1 minute') RETURNING id`,
      [contactId, `lost-${randomUUID()}`],
    );
    // one whose job failed before it sent anything (here: a job whose data could not be read)
    const failed = await t.db.query(
      `INSERT INTO messages (contact_id, direction, author_type, body, external_id, delivery_status, created_at)
       VALUES ($1, 'outbound', 'agent', 'Sent after a failed job', $2, 'pending', now() - interval '1 minute') RETURNING id`,
      [contactId, `failed-${randomUUID()}`],
    );
    const failedJob = await queue(QueueName.Outbound).add('outbound.deliver', { messageId: 'not-a-uuid' }, { jobId: `out_${failed.rows[0].id}`, attempts: 1 });
    await eventually(async () => (await failedJob.isFailed()) && failedJob, 15_000, 'the job failed');
    await failedJob.updateData({ messageId: failed.rows[0].id });
    // and one whose job completed without sending (it was handed another message's id)
    const skipped = await t.db.query(
      `INSERT INTO messages (contact_id, direction, author_type, body, external_id, delivery_status, created_at)
       VALUES ($1, 'outbound', 'agent', 'Sent after a skipped job', $2, 'pending', now() - interval '1 minute') RETURNING id`,
      [contactId, `skipped-${randomUUID()}`],
    );
    const skippedJob = await queue(QueueName.Outbound).add('outbound.deliver', { messageId: randomUUID() }, { jobId: `out_${skipped.rows[0].id}` });
    await eventually(async () => (await skippedJob.isCompleted()) && skippedJob, 15_000, 'the job completed');
    const cases = [
      [lost.rows[0].id, 'Sent after a crash'],
      [failed.rows[0].id, 'Sent after a failed job'],
      [skipped.rows[0].id, 'Sent after a skipped job'],
    ];
    for (const [id, text] of cases) {
      await eventually(
        async () => (await t.db.query(`SELECT delivery_status FROM messages WHERE id = $1`, [id])).rows[0].delivery_status === 'queued',
        20_000,
        `"${text}" sent by the sweep`,
      );
      expect(fake.messages.filter((r) => r.form.To === customer && r.form.Body === text)).toHaveLength(1);
    }
  });

  it('opts a customer out on STOP with a note for the agent, refuses replies until START, and sends again after it', async () => {
    const customer = '+14155550119';
    const { desk, contactId } = await openConversation(customer);

    const stopSeen = waitForEvent(desk.client.socket, 'message', (m) => m.contactId === contactId && m.text === 'STOP');
    const noteSeen = waitForEvent(desk.client.socket, 'message', (m) => m.contactId === contactId && m.direction === 'internal');
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, body: 'STOP' })).expect(200);
    expect(await stopSeen).toMatchObject({ direction: 'inbound', author: { type: 'customer' } });
    expect(await noteSeen).toMatchObject({ author: { type: 'system', id: null }, text: expect.stringContaining('opted out') });
    const optOut = await t.db.query(`SELECT keyword FROM sms_opt_outs WHERE address = $1`, [customer]);
    expect(optOut.rows).toEqual([{ keyword: 'STOP' }]);

    const sentBefore = fake.messages.length;
    const refusedId = randomUUID();
    const refused = await desk.client.ack('message:send', { contactId, clientMessageId: refusedId, text: 'Are you sure you want to leave?' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'opted_out' } });
    const outbound = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1 AND direction = 'outbound'`, [contactId]);
    expect(outbound.rows[0].n).toBe(0);

    const startNote = waitForEvent(desk.client.socket, 'message', (m) => m.contactId === contactId && m.direction === 'internal' && /opted back in/.test(m.text));
    await postTwilio(INBOUND_PATH, twilioSms({ from: customer, body: 'Start' })).expect(200);
    await startNote;
    expect((await t.db.query(`SELECT 1 FROM sms_opt_outs WHERE address = $1`, [customer])).rows).toEqual([]);

    const welcome = await send(desk, contactId, 'Welcome back!');
    await statusOf(desk, welcome.id, 'queued');
    // the refused reply never reached Twilio; the one after START did
    expect(fake.messages.slice(sentBefore).map((r) => [r.form.To, r.form.Body])).toEqual([[customer, 'Welcome back!']]);

    const detail = await contactDetail(desk, contactId);
    expect(detail.messages.map((m: any) => [m.direction, m.author.type, m.text.slice(0, 20)])).toEqual([
      ['inbound', 'customer', 'Hello, I need a hand'],
      ['inbound', 'customer', 'STOP'],
      ['internal', 'system', expect.any(String)],
      ['inbound', 'customer', 'Start'],
      ['internal', 'system', expect.any(String)],
      ['outbound', 'agent', 'Welcome back!'],
    ]);
    const log = await t.db.query(`SELECT keyword, channel_address, reply FROM sms_keyword_log WHERE address = $1 ORDER BY id`, [customer]);
    expect(log.rows).toEqual([
      { keyword: 'STOP', channel_address: SUPPORT_NUMBER, reply: null },
      { keyword: 'START', channel_address: SUPPORT_NUMBER, reply: null },
    ]);
  });

  it('answers HELP from a number with no open contact with the configured reply, once, opening no contact', async () => {
    const stranger = '+14155550131';
    const help = twilioSms({ from: stranger, to: SALES_NUMBER, body: 'help' });
    const before = await rowCounts();
    await postTwilio(INBOUND_PATH, help).expect(200);
    const job = await inboundJobDone(stranger, help.MessageSid);
    expect(job.returnvalue).toEqual({ keyword: 'help', stored: false });

    const replies = () => fake.messages.filter((r) => r.form.To === stranger);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]).toMatchObject({
      path: MESSAGES_PATH,
      auth: { user: TWILIO_TEST_ACCOUNT.sid, password: TWILIO_TEST_ACCOUNT.token },
      form: { To: stranger, From: SALES_NUMBER, Body: HELP_REPLY },
    });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE address = $1`, [stranger])).rows[0].n).toBe(0);

    // Twilio retries the webhook: while the job is kept, and after the queue forgot it
    await postTwilio(INBOUND_PATH, help).expect(200);
    await job.remove();
    await postTwilio(INBOUND_PATH, help).expect(200);
    const retried = await inboundJobDone(stranger, help.MessageSid);
    expect(retried.returnvalue).toEqual({ keyword: 'help', stored: false });
    expect(replies()).toHaveLength(1);

    const log = await t.db.query(`SELECT keyword, channel_address, reply, external_id FROM sms_keyword_log WHERE address = $1`, [stranger]);
    expect(log.rows).toEqual([{ keyword: 'HELP', channel_address: SALES_NUMBER, reply: HELP_REPLY, external_id: help.MessageSid }]);
    const after = await rowCounts();
    expect([after.contacts, after.messages, after.keywords]).toEqual([before.contacts, before.messages, before.keywords + 1]);
  });

  it('opts out on STOP from a number with no open contact, opening no contact and sending nothing', async () => {
    const quitter = '+14155550132';
    const stop = twilioSms({ from: quitter, body: 'Stop.' });
    const before = await rowCounts();
    const sentBefore = fake.messages.length;
    await postTwilio(INBOUND_PATH, stop).expect(200);
    expect((await inboundJobDone(quitter, stop.MessageSid)).returnvalue).toEqual({ keyword: 'stop', stored: false });
    expect((await t.db.query(`SELECT keyword FROM sms_opt_outs WHERE address = $1`, [quitter])).rows).toEqual([{ keyword: 'STOP' }]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE address = $1`, [quitter])).rows[0].n).toBe(0);
    const after = await rowCounts();
    expect([after.contacts, after.messages, after.keywords]).toEqual([before.contacts, before.messages, before.keywords + 1]);
    expect(fake.messages.length).toBe(sentBefore);
  });

  // ---------------------------------------------------------------------------------------------
  // product bugs found while writing this suite: each test below fails until its bug is fixed

  it('labels the error answers of the Twilio SMS webhook as the JSON they are', async () => {
    // the status callback endpoint does; the inbound one sends the same JSON labelled text/xml
    const refused = await postTwilio(INBOUND_PATH, twilioSms({ from: '+14155550141', body: 'hi' }), 'unsigned').expect(403);
    expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 403, error: 'forbidden' });
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
  });

  it('stores no customer record for a keyword that joins no conversation', async () => {
    // InboundService documents a join-only message with no open contact as "nothing stored"
    const stranger = '+14155550142';
    const before = await rowCounts();
    const help = twilioSms({ from: stranger, body: 'INFO' });
    await postTwilio(INBOUND_PATH, help).expect(200);
    expect((await inboundJobDone(stranger, help.MessageSid)).returnvalue).toEqual({ keyword: 'help', stored: false });
    const identities = await t.db.query(`SELECT kind, value FROM customer_identities WHERE value = $1`, [stranger]);
    expect(identities.rows).toEqual([]);
    expect(await rowCounts()).toEqual({ ...before, keywords: before.keywords + 1 });
  });

  it("keeps a status callback that reaches the app before Twilio's answer to the send does", async () => {
    const customer = '+14155550143';
    const { desk, contactId } = await openConversation(customer);
    const text = 'This one fails at the carrier straight away';
    // Twilio calls back while the app is still waiting for the answer to its request
    let callback: number | null = null;
    tap.beforeAnswer = async (created) => {
      if (created.body !== text) return;
      callback = (await postTwilio(STATUS_PATH, twilioStatus(created.sid, 'failed', customer, { ErrorCode: '30034' }))).status;
    };
    try {
      const message = await send(desk, contactId, text);
      expect((await jobDone(QueueName.Outbound, `out_${message.id}`)).returnvalue).toEqual({ outcome: 'sent' });
      expect(callback).toBe(204);
      const { rows } = await t.db.query(`SELECT delivery_status, delivery_error_code FROM messages WHERE id = $1`, [message.id]);
      expect(rows).toEqual([{ delivery_status: 'failed', delivery_error_code: '30034' }]);
    } finally {
      tap.beforeAnswer = null;
    }
  });

  it('does not hold a HELP back, nor retry, when Twilio refuses the help reply for good', async () => {
    const customer = '+14155550144';
    const { desk, contactId } = await openConversation(customer);
    // 21610: the recipient unsubscribed (a 4xx: the sender treats it as permanent, trying again changes nothing)
    fake.failNext(2, 400, 21610, 'Attempt to send to unsubscribed recipient');
    const helpSeen = waitForEvent(desk.client.socket, 'message', (m) => m.contactId === contactId && m.text === 'HELP');
    const help = twilioSms({ from: customer, body: 'HELP' });
    await postTwilio(INBOUND_PATH, help).expect(200);
    await helpSeen;
    // the job ends at once, without retrying the refused reply, and the agent is told
    expect((await inboundJobDone(customer, help.MessageSid)).returnvalue).toMatchObject({ contactId });
    expect(fake.messages.filter((r) => r.form.To === customer && r.form.Body === HELP_REPLY)).toHaveLength(1);
  });
});
