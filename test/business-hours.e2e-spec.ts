import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import { startApp, type TestApp } from './support/app';
import { type AgentClient, type VisitorClient, connectAgent, connectVisitor, eventually, login } from './support/clients';
import { FakeTwilioRest, TWILIO_TEST_ACCOUNT, twilioSid, twilioSignature } from './support/fake-twilio';
import { EmailSmtpSink } from './support/email-smtp-sink';
import { accept, contactRow, eventTypes, expectEvent, finish, openContact, unique } from './support/routing-kit';
import { alwaysOpenCalendar, closedNowCalendar, opensAtCalendar, type Definition } from './support/hours-calendars';

const PUBLIC_URL = 'https://cc.example.test';
const SUPPORT_NUMBER = '+14155550100';
const INBOUND_SMS_PATH = '/channels/twilio/sms';
const AFTER_HOURS = 'Closed. Back {opening}.';

interface Queue {
  id: string;
  name: string;
  priorityPolicy: Record<string, unknown>;
  agentIds: string[];
  calendarId: string | null;
}

/** An offer an agent's desk received, with when it came (this process's clock, the one the router uses). */
interface SeenOffer {
  offer: any;
  at: number;
  taken: boolean;
}

/**
 * Business hours end to end: calendars over the admin REST API, and what a contact arriving while its
 * queue is closed gets on each channel (the automatic reply, waiting or follow-the-sun), and in what
 * order the contacts that waited through a closure are served once the queue opens.
 */
describe('business hours and after-hours handling', () => {
  let t: TestApp;
  let fake: FakeTwilioRest;
  let sink: EmailSmtpSink;
  let mailer: Transporter;
  let adminToken: string;
  let aliceToken: string;
  let alice: AgentClient;
  let aliceId: string;
  let aliceCapacity: Record<string, number>;
  let support: Queue;
  let sales: Queue;
  let probe: Queue;
  /** closed now; what the automatic reply should say of its next opening */
  let closed: { id: string; opening: string };
  /** open at every instant */
  let open: { id: string };
  const aliceOffers: SeenOffer[] = [];
  const visitors: VisitorClient[] = [];

  /** the natural opening (last test): a queue whose calendar opens by itself at `dawn.opensAt` */
  const dawn = {
    opensAt: 0,
    opening: '',
    queue: null as Queue | null,
    agent: null as AgentClient | null,
    agentId: '',
    offers: [] as { contactId: string; at: number; accepted: Promise<any> }[],
    early: [] as { label: string; id: string }[],
  };

  // -------------------------------------------------------------------------------------------------
  // helpers

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function patchQueue(id: string, change: Record<string, unknown>): Promise<any> {
    const res = await request(t.url).patch(`/admin/queues/${id}`).set(auth(adminToken)).send(change);
    if (res.status !== 200) throw new Error(`PATCH /admin/queues/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function patchAgent(id: string, change: Record<string, unknown>): Promise<any> {
    const res = await request(t.url).patch(`/admin/agents/${id}`).set(auth(adminToken)).send(change);
    if (res.status !== 200) throw new Error(`PATCH /admin/agents/${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A calendar for the tests that are not about creating one. */
  async function fixtureCalendar(definition: Definition, name = unique('cal')): Promise<{ id: string; name: string }> {
    const res = await request(t.url).post('/admin/calendars').set(auth(adminToken)).send({ name, definition });
    if (res.status !== 201) throw new Error(`POST /admin/calendars: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function createQueue(spec: Record<string, unknown>): Promise<Queue> {
    const res = await request(t.url).post('/admin/queues').set(auth(adminToken)).send({ name: unique('q'), ...spec });
    if (res.status !== 201) throw new Error(`POST /admin/queues: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function visitor(): Promise<VisitorClient> {
    const v = await connectVisitor(t.url);
    visitors.push(v);
    return v;
  }

  /** The next offer to Alice that matches, not taken by an earlier wait. */
  async function nextOffer(match: (offer: any) => boolean, what: string, timeoutMs = 15_000): Promise<any> {
    const found = await eventually(async () => aliceOffers.find((o) => !o.taken && match(o.offer)), timeoutMs, what);
    found.taken = true;
    return found.offer;
  }

  const offeredToAlice = (contactId: string) => aliceOffers.filter((o) => o.offer.contactId === contactId);

  async function offerRows(contactId: string): Promise<number> {
    return (await t.db.query(`SELECT count(*)::int AS n FROM contact_offers WHERE contact_id = $1`, [contactId])).rows[0].n;
  }

  async function systemMessages(contactId: string): Promise<string[]> {
    const { rows } = await t.db.query(`SELECT body FROM messages WHERE contact_id = $1 AND author_type = 'system' ORDER BY created_at, id`, [contactId]);
    return rows.map((r) => r.body);
  }

  const countOf = (types: string[], type: string) => types.filter((x) => x === type).length;

  /**
   * A routing barrier instead of a sleep: a probe chat in an always-open queue Alice serves is offered
   * to her by a matching pass that ran after everything before it was waiting; Alice takes it and wraps
   * it up. Whatever that pass (with Alice free) did not offer, it chose not to offer.
   */
  async function routingBarrier(): Promise<void> {
    const v = await visitor();
    await v.say('probe', { queue: probe.name });
    const contact = await openContact(t.db, v);
    const offer = await nextOffer((o) => o.contactId === contact.id, 'the probe offer');
    await accept(alice, offer.offerId);
    await finish(alice, contact.id);
    v.close();
  }

  /** A signed Twilio inbound SMS webhook, as Twilio posts it. */
  function postSms(from: string, body: string) {
    const sid = twilioSid('SM');
    const fields: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sid,
      NumMedia: '0',
      SmsSid: sid,
      SmsStatus: 'received',
      Body: body,
      To: SUPPORT_NUMBER,
      NumSegments: '1',
      MessageSid: sid,
      AccountSid: TWILIO_TEST_ACCOUNT.sid,
      From: from,
      ApiVersion: '2010-04-01',
    };
    return request(t.url)
      .post(INBOUND_SMS_PATH)
      .type('form')
      .send(fields)
      .set('X-Twilio-Signature', twilioSignature(TWILIO_TEST_ACCOUNT.token, PUBLIC_URL + INBOUND_SMS_PATH, fields));
  }

  /**
   * Leaves Support and Sales always open with no after-hours rule, Alice with her own capacity, and no
   * contact open on the queues Alice serves: she takes and wraps up whatever routing offers her.
   */
  async function settle(): Promise<void> {
    await patchQueue(support.id, { calendarId: null, afterHours: {}, afterHoursMessage: null, priorityPolicy: support.priorityPolicy });
    await patchQueue(sales.id, { calendarId: null, afterHours: {}, afterHoursMessage: null });
    await patchAgent(aliceId, { capacity: aliceCapacity });
    await eventually(
      async () => {
        const { rows } = await t.db.query(
          `SELECT c.id, c.state, o.id AS offer_id, o.agent_id AS offered_to, c.agent_id FROM contacts c
             LEFT JOIN contact_offers o ON o.contact_id = c.id AND o.status = 'pending'
            WHERE c.state IN ('queued', 'offered', 'active', 'wrap_up') AND (c.agent_id = $1 OR c.queue_id = ANY($2))`,
          [aliceId, [support.id, sales.id, probe.id]],
        );
        for (const r of rows) {
          if (r.offer_id && r.offered_to === aliceId) await alice.ack('offer:accept', { offerId: r.offer_id });
          else if (r.state === 'active' && r.agent_id === aliceId) await finish(alice, r.id).catch(() => undefined);
          else if (r.state === 'wrap_up' && r.agent_id === aliceId) await alice.ack('contact:wrapup', { contactId: r.id, disposition: 'resolved' });
        }
        return rows.length === 0;
      },
      30_000,
      'no contact left open on the queues Alice serves',
    );
    for (const o of aliceOffers) o.taken = true;
  }

  // -------------------------------------------------------------------------------------------------

  beforeAll(async () => {
    fake = await new FakeTwilioRest().start();
    sink = await new EmailSmtpSink().start();
    t = await startApp({
      env: {
        PUBLIC_URL,
        ...fake.appEnv(),
        SMS_NUMBER_QUEUES: `${SUPPORT_NUMBER}=Support`,
        SMTP_RELAY_URL: sink.url,
        OUTBOUND_BACKOFF_MS: '200',
      },
    });
    mailer = createTransport({ host: '127.0.0.1', port: t.smtpPort!, secure: false, ignoreTLS: true });
    adminToken = await login(t.url, 'admin@demo.local', 'admin-demo');
    aliceToken = await login(t.url, 'alice@demo.local', 'agent-demo');
    alice = await connectAgent(t.url, aliceToken);
    aliceId = alice.initialState.agentId;
    alice.socket.on('offer', (offer: any) => aliceOffers.push({ offer, at: Date.now(), taken: false }));
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true, presence: 'available' });
    aliceCapacity = (await request(t.url).get(`/admin/agents/${aliceId}`).set(auth(adminToken)).expect(200)).body.capacity;

    const queues = (await request(t.url).get('/admin/queues').set(auth(adminToken)).expect(200)).body as Queue[];
    support = queues.find((q) => q.name === 'Support')!;
    sales = queues.find((q) => q.name === 'Sales')!;
    expect(support.agentIds).toContain(aliceId);
    expect(sales.agentIds).toContain(aliceId);
    probe = await createQueue({ channels: ['chat'], agentIds: [aliceId] });

    const closedCal = closedNowCalendar();
    closed = { id: (await fixtureCalendar(closedCal.definition, unique('closed-now'))).id, opening: closedCal.opening };
    open = { id: (await fixtureCalendar(alwaysOpenCalendar(), unique('always-open'))).id };

    // The last test watches a queue open by its own calendar, at the next whole minute at least 12 s
    // away. Its contacts arrive now, while it is closed; the tests in between run while it waits.
    dawn.opensAt = Math.ceil((Date.now() + 12_000) / 60_000) * 60_000;
    const dawnCal = opensAtCalendar(dawn.opensAt);
    dawn.opening = dawnCal.opening;
    const nora = await request(t.url)
      .post('/admin/agents')
      .set(auth(adminToken))
      .send({ email: `${unique('nora')}@test.local`, name: 'Nora Dawn', password: 'agent-password', queueIds: [] })
      .expect(201);
    dawn.agentId = nora.body.id;
    // one chat at a time, so the order she is offered them in is the order routing serves them
    expect(await patchAgent(dawn.agentId, { capacity: { chat: 1 } })).toMatchObject({ capacity: { chat: 1 } });
    const dawnCalendar = await fixtureCalendar(dawnCal.definition, unique('dawn'));
    dawn.queue = await createQueue({
      channels: ['chat'],
      agentIds: [dawn.agentId],
      calendarId: dawnCalendar.id,
      afterHoursMessage: AFTER_HOURS,
      priorityPolicy: { tiers: { vip: 100 } },
    });
    dawn.agent = await connectAgent(t.url, await login(t.url, nora.body.email, 'agent-password'));
    // she takes every offer as it comes, so no offer sits until it expires while other tests run
    dawn.agent.socket.on('offer', (offer: any) => {
      const accepted = dawn.agent!.ack('offer:accept', { offerId: offer.offerId });
      accepted.catch(() => undefined);
      dawn.offers.push({ contactId: offer.contactId, at: Date.now(), accepted });
    });
    expect(await dawn.agent.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
    for (const label of ['A', 'B', 'C']) {
      const v = await visitor();
      await v.say(`dawn ${label}`, { queue: dawn.queue.name });
      dawn.early.push({ label, id: (await openContact(t.db, v)).id });
    }
    const { rows } = await t.db.query(`SELECT max(queued_at) AS last FROM contacts WHERE id = ANY($1)`, [dawn.early.map((c) => c.id)]);
    if (new Date(rows[0].last).getTime() >= dawn.opensAt) throw new Error('setup too slow: the dawn contacts were queued after the opening');
  });

  afterEach(async () => {
    for (const v of visitors.splice(0)) v.close();
    if (t && alice) await settle();
  });

  afterAll(async () => {
    alice?.close();
    dawn.agent?.close();
    mailer?.close();
    await t?.close();
    await fake?.stop();
    await sink?.stop();
  });

  // -------------------------------------------------------------------------------------------------

  describe('admin REST for calendars', () => {
    const definition: Definition = {
      timeZone: 'Europe/London',
      weekly: [
        // split shift
        { day: 'mon', open: '09:00', close: '12:30' },
        { day: 'mon', open: '13:30', close: '17:00' },
        { day: 'tue', open: '09:00', close: '17:00' },
        // overnight: closes at 06:00 on Saturday
        { day: 'fri', open: '22:00', close: '06:00' },
        { day: 'sun', open: '00:00', close: '24:00' },
      ],
      holidays: [
        { date: '2026-12-25', name: 'Christmas Day' },
        { date: '2026-12-26', name: 'Boxing Day' },
      ],
      overrides: [
        { date: '2026-12-24', spans: [{ open: '09:00', close: '13:00' }], note: 'Christmas Eve: mornings only' },
        { date: '2026-12-28', closed: true },
        // an override wins over a holiday on the same date
        { date: '2026-12-26', spans: [{ open: '10:00', close: '14:00' }] },
      ],
    };
    const copy = () => JSON.parse(JSON.stringify(definition)) as Definition;
    const calendarCount = async () => (await t.db.query(`SELECT count(*)::int AS n FROM calendars`)).rows[0].n;
    const invalid: { what: string; field: string; definition: unknown }[] = [
      { what: 'an unknown time zone', field: 'timeZone', definition: { ...copy(), timeZone: 'Mars/Olympus_Mons' } },
      { what: 'close at 25:00', field: 'weekly[1].close', definition: { ...copy(), weekly: [copy().weekly[0], { day: 'mon', open: '13:30', close: '25:00' }] } },
      { what: 'open at 25:00', field: 'weekly[0].open', definition: { ...copy(), weekly: [{ day: 'tue', open: '25:00', close: '23:00' }] } },
      { what: 'open == close', field: 'weekly[0].close', definition: { ...copy(), weekly: [{ day: 'wed', open: '09:00', close: '09:00' }] } },
      { what: 'a date that does not exist', field: 'holidays[1].date', definition: { ...copy(), holidays: [copy().holidays[0], { date: '2026-02-30' }] } },
      { what: 'a malformed date', field: 'overrides[0].date', definition: { ...copy(), overrides: [{ date: '24/12/2026', closed: true }] } },
      {
        what: 'an override both closed and with spans',
        field: 'overrides[0].spans',
        definition: { ...copy(), overrides: [{ date: '2026-12-24', closed: true, spans: [{ open: '09:00', close: '13:00' }] }] },
      },
    ];

    it('POST stores a calendar with split shifts, an overnight span, holidays and overrides (201), and GET returns it', async () => {
      const name = unique('Europe office');
      const created = await request(t.url).post('/admin/calendars').set(auth(adminToken)).send({ name, definition });
      expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: { id: expect.any(String), name, definition, queueIds: [] } });
      const got = await request(t.url).get(`/admin/calendars/${created.body.id}`).set(auth(adminToken)).expect(200);
      expect(got.body).toEqual({ id: created.body.id, name, definition, queueIds: [] });
      const listed = await request(t.url).get('/admin/calendars').set(auth(adminToken)).expect(200);
      expect(listed.body.find((c: any) => c.id === created.body.id)).toEqual(got.body);
    });

    it('POST refuses invalid definitions with 400 naming the field, and stores nothing', async () => {
      const before = await calendarCount();
      const answers = [];
      for (const bad of invalid) {
        const badName = unique('bad');
        const res = await request(t.url).post('/admin/calendars').set(auth(adminToken)).send({ name: badName, definition: bad.definition });
        answers.push({ what: bad.what, status: res.status, fields: (res.body.details ?? []).map((d: any) => d.field), namesField: String(res.body.message).includes(bad.field) });
        expect((await t.db.query(`SELECT 1 FROM calendars WHERE name = $1`, [badName])).rows).toEqual([]);
      }
      expect(answers).toEqual(invalid.map((bad) => ({ what: bad.what, status: 400, fields: [bad.field], namesField: true })));
      expect(await calendarCount()).toBe(before);
    });

    it('PATCH refuses invalid definitions with 400 naming the field and keeps the stored one; a valid change is stored', async () => {
      const cal = await fixtureCalendar(definition);
      for (const bad of invalid) {
        const res = await request(t.url).patch(`/admin/calendars/${cal.id}`).set(auth(adminToken)).send({ definition: bad.definition });
        expect({ what: bad.what, status: res.status, fields: (res.body.details ?? []).map((d: any) => d.field) }).toEqual({ what: bad.what, status: 400, fields: [bad.field] });
        expect(res.body.message).toContain(bad.field);
      }
      expect((await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(200)).body.definition).toEqual(definition);
      const changed = { ...copy(), holidays: [] };
      expect((await request(t.url).patch(`/admin/calendars/${cal.id}`).set(auth(adminToken)).send({ definition: changed }).expect(200)).body.definition).toEqual(changed);
    });

    it('non-admins get 403 on every calendar endpoint, and nothing changes', async () => {
      const cal = await fixtureCalendar(definition);
      const before = await calendarCount();
      const supervisorToken = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
      for (const token of [aliceToken, supervisorToken]) {
        await request(t.url).get('/admin/calendars').set(auth(token)).expect(403);
        await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(token)).expect(403);
        await request(t.url).post('/admin/calendars').set(auth(token)).send({ name: unique('nope'), definition }).expect(403);
        await request(t.url).patch(`/admin/calendars/${cal.id}`).set(auth(token)).send({ name: unique('nope') }).expect(403);
        await request(t.url).delete(`/admin/calendars/${cal.id}`).set(auth(token)).expect(403);
      }
      await request(t.url).get('/admin/calendars').expect(401);
      expect(await calendarCount()).toBe(before);
      expect((await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(200)).body).toMatchObject({ name: cal.name, definition });
    });

    it('a queue naming an unknown calendar id gets 400 and nothing is stored', async () => {
      const queueName = unique('q');
      const created = await request(t.url).post('/admin/queues').set(auth(adminToken)).send({ name: queueName, calendarId: randomUUID() });
      expect(created.status).toBe(400);
      expect(created.body.message).toContain('calendarId');
      expect((await t.db.query(`SELECT 1 FROM queues WHERE name = $1`, [queueName])).rows).toEqual([]);
      const patched = await request(t.url).patch(`/admin/queues/${support.id}`).set(auth(adminToken)).send({ calendarId: randomUUID(), afterHoursMessage: 'x' });
      expect(patched.status).toBe(400);
      expect(patched.body.message).toContain('calendarId');
      expect((await t.db.query(`SELECT calendar_id, after_hours_message FROM queues WHERE id = $1`, [support.id])).rows[0]).toEqual({ calendar_id: null, after_hours_message: null });
    });

    it('DELETE of a calendar a queue uses is 409 and keeps it; once unused it is 204 and gone', async () => {
      const cal = await fixtureCalendar(definition);
      const user = await createQueue({ channels: ['chat'], calendarId: cal.id });
      expect(user.calendarId).toBe(cal.id);
      expect((await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(200)).body.queueIds).toEqual([user.id]);
      const inUse = await request(t.url).delete(`/admin/calendars/${cal.id}`).set(auth(adminToken));
      expect(inUse.status).toBe(409);
      await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(200);
      expect((await request(t.url).get(`/admin/queues/${user.id}`).set(auth(adminToken)).expect(200)).body.calendarId).toBe(cal.id);
      await patchQueue(user.id, { calendarId: null });
      await request(t.url).delete(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(204);
      await request(t.url).get(`/admin/calendars/${cal.id}`).set(auth(adminToken)).expect(404);
      expect((await t.db.query(`SELECT 1 FROM calendars WHERE id = $1`, [cal.id])).rows).toEqual([]);
    });
  });

  it('chat after hours: not offered while Support is closed, one automatic reply saying when it opens, offered once the queue opens', async () => {
    await patchQueue(support.id, { calendarId: closed.id, afterHoursMessage: AFTER_HOURS });
    const v = await visitor();
    const replies: any[] = [];
    v.socket.on('message', (m: any) => m.author?.type === 'system' && replies.push(m));
    const reply = expectEvent(v.socket, 'message', (m) => m.author?.type === 'system');
    expect(await v.say('Is anyone there?')).toMatchObject({ ok: true });
    const contact = await openContact(t.db, v);
    expect(contact.queue_id).toBe(support.id);

    const r = await reply;
    expect(r.text.startsWith('Closed. Back ')).toBe(true);
    expect(r.text).not.toContain('{opening}');
    expect(r).toMatchObject({ contactId: contact.id, direction: 'outbound', text: `Closed. Back ${closed.opening}.` });

    // Alice is available with free chat capacity; a later pass offers her a probe, not this contact
    await routingBarrier();
    expect(offeredToAlice(contact.id)).toEqual([]);
    expect(await offerRows(contact.id)).toBe(0);
    expect((await contactRow(t.db, contact.id)).state).toBe('queued');
    expect(countOf(await eventTypes(t.db, contact.id), 'after_hours_action')).toBe(1);

    // open it: an always-open calendar
    await patchQueue(support.id, { calendarId: open.id });
    const offer = await nextOffer((o) => o.contactId === contact.id, 'the offer once Support opened');
    expect(offer).toMatchObject({ channel: 'chat', queue: { id: support.id, name: 'Support' } });
    expect(offer.messages.map((m: any) => m.text)).toContain('Is anyone there?');
    await accept(alice, offer.offerId);
    await finish(alice, contact.id);

    const types = await eventTypes(t.db, contact.id);
    expect(countOf(types, 'after_hours_action')).toBe(1);
    expect(types.indexOf('after_hours_action')).toBeLessThan(types.indexOf('offered'));
    expect(await systemMessages(contact.id)).toEqual([`Closed. Back ${closed.opening}.`]);
    expect(replies).toHaveLength(1);
  });

  it.each([
    ['switched to an always-open calendar', () => open.id],
    ['its calendar removed (calendarId null)', () => null],
  ])('opening order (queue opened by the admin: %s): the contacts that waited through the closure go first, in order, and a VIP arriving after the opening does not jump ahead of them', async (_how, openedWith) => {
    expect(await patchAgent(aliceId, { capacity: { chat: 1 } })).toMatchObject({ capacity: { chat: 1 } });
    await patchQueue(support.id, { calendarId: closed.id, afterHoursMessage: AFTER_HOURS, priorityPolicy: { tiers: { vip: 100 } } });
    const waited: { label: string; id: string }[] = [];
    for (const label of ['A', 'B', 'C']) {
      const v = await visitor();
      await v.say(`customer ${label} here`);
      waited.push({ label, id: (await openContact(t.db, v)).id });
    }
    await eventually(
      async () => {
        for (const c of waited) if (!(await eventTypes(t.db, c.id)).includes('after_hours_action')) return false;
        return true;
      },
      15_000,
      'the after-hours action for A, B and C',
    );
    await routingBarrier();
    for (const c of waited) expect({ [c.label]: await offerRows(c.id) }).toEqual({ [c.label]: 0 });

    await patchQueue(support.id, { calendarId: openedWith() });
    const labelOf = new Map(waited.map((c) => [c.id, c.label]));
    const first = await nextOffer((o) => labelOf.has(o.contactId), 'the first offer after the opening');
    await accept(alice, first.offerId);

    // a VIP customer writes in after the opening, while Alice is busy
    const vipVisitor = await visitor();
    await vipVisitor.say('I am a VIP, hurry');
    const vip = await openContact(t.db, vipVisitor);
    await request(t.url).patch(`/customers/${vip.customer_id}`).set(auth(adminToken)).send({ tier: 'vip' }).expect(200);
    labelOf.set(vip.id, 'VIP');

    const order = [labelOf.get(first.contactId)];
    let current = first.contactId as string;
    for (let i = 0; i < 3; i++) {
      await finish(alice, current);
      const next = await nextOffer((o) => labelOf.has(o.contactId) && !order.includes(labelOf.get(o.contactId)), `offer ${i + 2} after the opening`);
      order.push(labelOf.get(next.contactId));
      await accept(alice, next.offerId);
      current = next.contactId;
    }
    await finish(alice, current);
    expect(order).toEqual(['A', 'B', 'C', 'VIP']);
    expect((await eventTypes(t.db, vip.id)).includes('after_hours_action')).toBe(false);
  });

  it('follow-the-sun: a chat arriving while Support is closed gets the reply and moves to open Sales, whose agent is offered it; with Sales closed too it waits in Support', async () => {
    await patchQueue(support.id, {
      calendarId: closed.id,
      afterHoursMessage: AFTER_HOURS,
      afterHours: { chat: { action: 'overflow', overflowQueueId: sales.id } },
    });
    expect((await request(t.url).get(`/admin/queues/${sales.id}`).set(auth(adminToken)).expect(200)).body.calendarId).toBeNull();

    const v = await visitor();
    const reply = expectEvent(v.socket, 'message', (m) => m.author?.type === 'system');
    await v.say('Where is my parcel?');
    const contact = await openContact(t.db, v);
    expect(await reply).toMatchObject({ contactId: contact.id, text: `Closed. Back ${closed.opening}.` });
    const offer = await nextOffer((o) => o.contactId === contact.id, 'the offer from Sales');
    expect(offer).toMatchObject({ channel: 'chat', queue: { id: sales.id, name: 'Sales' } });
    expect((await contactRow(t.db, contact.id)).queue_id).toBe(sales.id);
    const { rows: moved } = await t.db.query(`SELECT reason, data FROM contact_events WHERE contact_id = $1 AND type = 'overflowed'`, [contact.id]);
    expect(moved).toEqual([{ reason: 'after_hours', data: { fromQueueId: support.id, toQueueId: sales.id } }]);
    const types = await eventTypes(t.db, contact.id);
    expect(countOf(types, 'after_hours_action')).toBe(1);
    expect(types.indexOf('after_hours_action')).toBeLessThan(types.indexOf('overflowed'));
    expect(types.indexOf('overflowed')).toBeLessThan(types.indexOf('offered'));
    await accept(alice, offer.offerId);
    await finish(alice, contact.id);

    // Sales closed as well: the contact gets the reply and stays in Support, waiting
    await patchQueue(sales.id, { calendarId: closed.id });
    const v2 = await visitor();
    const reply2 = expectEvent(v2.socket, 'message', (m) => m.author?.type === 'system');
    await v2.say('Anyone at all?');
    const stuck = await openContact(t.db, v2);
    expect(await reply2).toMatchObject({ contactId: stuck.id, text: `Closed. Back ${closed.opening}.` });
    await routingBarrier();
    expect(await contactRow(t.db, stuck.id)).toMatchObject({ state: 'queued', queue_id: support.id });
    expect(await eventTypes(t.db, stuck.id)).not.toContain('overflowed');
    expect(offeredToAlice(stuck.id)).toEqual([]);
    expect(await offerRows(stuck.id)).toBe(0);

    // Support opens (no calendar): offered from Support
    await patchQueue(support.id, { calendarId: null });
    const later = await nextOffer((o) => o.contactId === stuck.id, 'the offer once Support opened');
    expect(later).toMatchObject({ queue: { id: support.id } });
    await accept(alice, later.offerId);
    await finish(alice, stuck.id);
  });

  it('SMS after hours: the automatic reply goes out through Twilio and the contact is not offered until Support opens', async () => {
    await patchQueue(support.id, { calendarId: closed.id, afterHoursMessage: AFTER_HOURS });
    const customer = '+14155550123';
    const before = fake.messages.length;
    await postSms(customer, 'Hi, my router is blinking red').expect(200);
    const sent = await eventually(async () => fake.messages.slice(before).find((m) => m.form.To === customer), 15_000, 'the after-hours SMS at Twilio');
    expect(sent.form.Body.startsWith('Closed. Back ')).toBe(true);
    expect(sent.form.Body).toBe(`Closed. Back ${closed.opening}.`);
    expect(sent.auth).toEqual({ user: TWILIO_TEST_ACCOUNT.sid, password: TWILIO_TEST_ACCOUNT.token });
    expect(sent.path).toBe(`/2010-04-01/Accounts/${TWILIO_TEST_ACCOUNT.sid}/Messages.json`);

    const contact = await eventually(
      async () => (await t.db.query(`SELECT id, state, queue_id FROM contacts WHERE channel = 'sms' AND address = $1`, [customer])).rows[0],
      15_000,
      'the SMS contact',
    );
    expect(contact.queue_id).toBe(support.id);
    await routingBarrier();
    expect(offeredToAlice(contact.id)).toEqual([]);
    expect(await offerRows(contact.id)).toBe(0);
    expect((await contactRow(t.db, contact.id)).state).toBe('queued');
    expect(fake.messages.slice(before).filter((m) => m.form.To === customer)).toHaveLength(1);

    await patchQueue(support.id, { calendarId: null });
    const offer = await nextOffer((o) => o.contactId === contact.id, 'the SMS offer once Support opened');
    expect(offer).toMatchObject({ channel: 'sms', queue: { id: support.id }, customer: { phone: customer } });
    await accept(alice, offer.offerId);
    await finish(alice, contact.id);
    expect(countOf(await eventTypes(t.db, contact.id), 'after_hours_action')).toBe(1);
    expect(fake.messages.slice(before).filter((m) => m.form.To === customer)).toHaveLength(1);
  });

  it('email after hours: the automatic reply reaches the relay, threaded to the customer’s mail, and the contact waits for the opening', async () => {
    await patchQueue(support.id, { calendarId: closed.id, afterHoursMessage: AFTER_HOURS });
    const from = `owl-${randomUUID().slice(0, 8)}@customer.test`;
    const messageId = `<late-${randomUUID()}@customer.test>`;
    await mailer.sendMail({ from: `"Night Owl" <${from}>`, to: 'support@example.com', subject: 'Late order', messageId, text: 'Where is order 77?' });

    const relayed = await eventually(async () => sink.received.find((m) => m.envelope.to.includes(from)), 15_000, 'the after-hours reply at the relay');
    expect(relayed.mail.text?.trim()).toBe(`Closed. Back ${closed.opening}.`);
    expect(relayed.mail.subject).toBe('Re: Late order');
    expect(relayed.mail.inReplyTo).toBe(messageId);

    const contact = await eventually(
      async () => (await t.db.query(`SELECT id, state, queue_id FROM contacts WHERE channel = 'email' AND address = $1`, [from])).rows[0],
      15_000,
      'the email contact',
    );
    expect(contact.queue_id).toBe(support.id);
    await routingBarrier();
    expect(offeredToAlice(contact.id)).toEqual([]);
    expect(await offerRows(contact.id)).toBe(0);
    expect((await contactRow(t.db, contact.id)).state).toBe('queued');

    await patchQueue(support.id, { calendarId: open.id });
    const offer = await nextOffer((o) => o.contactId === contact.id, 'the email offer once Support opened');
    expect(offer).toMatchObject({ channel: 'email', queue: { id: support.id } });
    await accept(alice, offer.offerId);
    await finish(alice, contact.id);
    expect(sink.received.filter((m) => m.envelope.to.includes(from))).toHaveLength(1);
  });

  it('opening order (queue opened by its own calendar): not offered before the opening; then the contacts that waited go first, in order, ahead of a later VIP', async () => {
    const queue = dawn.queue!;
    const labelOf = new Map(dawn.early.map((c) => [c.id, c.label]));
    // each got the reply naming the opening while the queue was closed
    for (const c of dawn.early) expect({ [c.label]: await systemMessages(c.id) }).toEqual({ [c.label]: [`Closed. Back ${dawn.opening}.`] });

    const firstOffer = await eventually(async () => dawn.offers[0], dawn.opensAt - Date.now() + 15_000, 'the first offer of the dawn queue');
    expect(firstOffer.at).toBeGreaterThanOrEqual(dawn.opensAt);
    expect((await firstOffer.accepted).ok).toBe(true);

    const vipVisitor = await visitor();
    await vipVisitor.say('VIP here, serve me first', { queue: queue.name });
    const vip = await openContact(t.db, vipVisitor);
    await request(t.url).patch(`/customers/${vip.customer_id}`).set(auth(adminToken)).send({ tier: 'vip' }).expect(200);
    labelOf.set(vip.id, 'VIP');

    for (let i = 0; i < 3; i++) {
      const held = dawn.offers[i];
      expect((await held.accepted).ok).toBe(true);
      await finish(dawn.agent!, held.contactId);
      await eventually(async () => dawn.offers[i + 1], 15_000, `offer ${i + 2} of the dawn queue`);
    }
    const last = dawn.offers[3];
    expect((await last.accepted).ok).toBe(true);
    await finish(dawn.agent!, last.contactId);

    expect(dawn.offers.map((o) => labelOf.get(o.contactId))).toEqual(['A', 'B', 'C', 'VIP']);
    expect((await eventTypes(t.db, vip.id)).includes('after_hours_action')).toBe(false);
  }, 100_000);
});
