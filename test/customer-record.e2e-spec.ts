import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { startApp, type TestApp } from './support/app';
import { type AgentClient, connectAgent, connectVisitor, login, waitForEvent, type VisitorClient } from './support/clients';

/**
 * The unified customer record, built by the real web-chat flow: a returning visitor, the same person
 * on another browser, what agents see of the customer's past, and who may read or change the record.
 * The tests run in order and build on each other's contacts.
 */
describe('the unified customer record', () => {
  let t: TestApp;
  let admin: string;
  let supervisor: string;
  let aliceToken: string;
  let bobToken: string;
  let alice: AgentClient;
  let bob: AgentClient;

  // what the earlier steps established
  let mariaId: string;
  let firstVisitor: VisitorClient;
  const mariaContacts: string[] = []; // oldest first
  let olgaId: string;
  let olgaContact: string;

  beforeAll(async () => {
    t = await startApp();
    admin = await login(t.url, 'admin@demo.local', 'admin-demo');
    supervisor = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    aliceToken = await login(t.url, 'alice@demo.local', 'agent-demo');
    bobToken = await login(t.url, 'bob@demo.local', 'agent-demo');
    alice = await connectAgent(t.url, aliceToken);
    bob = await connectAgent(t.url, bobToken);
    // Alice takes the chats unless a test says otherwise; Bob stays offline
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
  });
  afterAll(async () => {
    for (const a of [alice, bob]) {
      await a?.ack('presence:set', { state: 'offline' }).catch(() => undefined);
      a?.close();
    }
    firstVisitor?.close();
    await t?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const http = () => request(t.url);

  /** The visitor writes; the agent gets the offer. */
  async function offerOf(agent: AgentClient, visitor: VisitorClient, text: string, extra: Record<string, unknown> = {}) {
    const offered = waitForEvent(agent.socket, 'offer', (o) => o.messages.some((m: any) => m.text === text));
    expect(await visitor.say(text, extra)).toMatchObject({ ok: true });
    return offered;
  }

  /** The agent accepts, replies, ends and wraps up. */
  async function handle(agent: AgentClient, offer: any, reply: string, disposition: string, note?: string) {
    expect(await agent.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { contactId: offer.contactId, state: 'active' } });
    expect(await agent.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: reply })).toMatchObject({ ok: true });
    expect(await agent.ack('contact:end', { contactId: offer.contactId })).toEqual({ ok: true });
    expect(await agent.ack('contact:wrapup', { contactId: offer.contactId, disposition, ...(note ? { note } : {}) })).toEqual({ ok: true });
  }

  it('knows a visitor who comes back with the same token: the second offer carries the first contact in its history', async () => {
    firstVisitor = await connectVisitor(t.url);
    const asked = Date.now();
    const first = await offerOf(alice, firstVisitor, 'Hi, where is my order?', { name: 'Maria Lopez', email: 'Maria.Lopez@Example.com' });
    // the offer lasts the configured offer timeout (30 s in the test environment)
    expect(t.config.offerTimeoutMs).toBe(30_000);
    expect(Date.parse(first.expiresAt)).toBeGreaterThanOrEqual(asked + 30_000 - 1_000);
    expect(Date.parse(first.expiresAt)).toBeLessThanOrEqual(Date.now() + 30_000 + 1_000);
    expect(first.customer).toEqual({
      id: expect.any(String),
      name: 'Maria Lopez',
      email: 'maria.lopez@example.com',
      phone: null,
      tier: 'standard',
      preferences: {},
      notes: null,
    });
    expect(first.history).toEqual([]);
    mariaId = first.customer.id;
    mariaContacts.push(first.contactId);
    await handle(alice, first, 'It ships today.', 'resolved', 'order shipped');
    firstVisitor.close();

    // the same browser, later: the widget presents its stored token
    firstVisitor = await connectVisitor(t.url, firstVisitor.token);
    expect(firstVisitor.visitorId).toBe((await t.db.query(`SELECT address FROM contacts WHERE id = $1`, [first.contactId])).rows[0].address);
    // the conversation that just ended is still on their screen
    expect(firstVisitor.conversation).toMatchObject({ contactId: first.contactId, state: 'closed' });
    expect(firstVisitor.conversation.messages.map((m: any) => m.text)).toEqual(['Hi, where is my order?', 'It ships today.']);

    const second = await offerOf(alice, firstVisitor, 'Me again: can I change the address?');
    expect(second.contactId).not.toBe(first.contactId);
    expect(second.customer).toMatchObject({ id: mariaId, name: 'Maria Lopez', email: 'maria.lopez@example.com' });
    expect(second.history).toEqual([
      {
        id: first.contactId,
        channel: 'chat',
        state: 'closed',
        queue: 'Support',
        createdAt: expect.any(String),
        closedAt: expect.any(String),
        disposition: 'resolved',
        wrapUpNote: 'order shipped',
        lastMessage: 'It ships today.',
      },
    ]);
    mariaContacts.push(second.contactId);
    await handle(alice, second, 'Done, address changed.', 'answered');

    const owners = await t.db.query(`SELECT DISTINCT customer_id FROM contacts WHERE address = $1`, [firstVisitor.visitorId]);
    expect(owners.rows).toEqual([{ customer_id: mariaId }]);
  });

  it('knows the same person in another browser by their email, in any case', async () => {
    const phone = await connectVisitor(t.url); // a new session, no token
    expect(phone.visitorId).not.toBe(firstVisitor.visitorId);
    const third = await offerOf(alice, phone, 'Hello from my phone', { email: 'MARIA.LOPEZ@example.COM' });
    expect(third.customer).toMatchObject({ id: mariaId, name: 'Maria Lopez', email: 'maria.lopez@example.com' });
    expect(third.history.map((h: any) => h.id)).toEqual([mariaContacts[1], mariaContacts[0]]);
    mariaContacts.push(third.contactId);
    await handle(alice, third, 'Hi Maria!', 'resolved');
    phone.close();

    const customers = await t.db.query(`SELECT DISTINCT customer_id FROM contacts WHERE id = ANY($1)`, [mariaContacts]);
    expect(customers.rows).toEqual([{ customer_id: mariaId }]);
    const record = await http().get(`/customers/${mariaId}`).set(bearer(supervisor)).expect(200);
    expect(record.body).toMatchObject({ id: mariaId, name: 'Maria Lopez', email: 'maria.lopez@example.com' });
    expect(record.body.identities).toEqual(
      expect.arrayContaining([
        { kind: 'webchat', value: firstVisitor.visitorId },
        { kind: 'webchat', value: phone.visitorId },
        { kind: 'email', value: 'maria.lopez@example.com' },
      ]),
    );
    expect(record.body.identities).toHaveLength(3);
  });

  it('finds exactly that one customer by email, for supervisors and admins only', async () => {
    for (const token of [supervisor, admin]) {
      const res = await http().get('/customers').query({ email: 'Maria.Lopez@EXAMPLE.com' }).set(bearer(token)).expect(200);
      expect(res.body).toHaveLength(1);
      expect(res.body[0]).toMatchObject({ id: mariaId, name: 'Maria Lopez', email: 'maria.lopez@example.com' });
    }
    expect((await http().get('/customers').query({ email: 'nobody@example.com' }).set(bearer(supervisor)).expect(200)).body).toEqual([]);
    const agentSearch = await http().get('/customers').query({ email: 'maria.lopez@example.com' }).set(bearer(aliceToken)).expect(403);
    expect(agentSearch.body).toMatchObject({ error: 'forbidden' });
    await http().get('/customers').query({ email: 'maria.lopez@example.com' }).expect(401);
    const bad = await http().get('/customers').query({ email: 'not-an-email' }).set(bearer(supervisor)).expect(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(/\bemail\b/) });
    await http().get('/customers').set(bearer(supervisor)).expect(400);
  });

  it('pages the timeline newest first, each contact with its messages and events', async () => {
    const page = (n: number) => http().get(`/customers/${mariaId}/timeline`).query({ page: n, pageSize: 1 }).set(bearer(supervisor)).expect(200);
    const first = (await page(1)).body;
    expect(first).toMatchObject({ page: 1, pageSize: 1, total: 3 });
    expect(first.items.map((c: any) => c.id)).toEqual([mariaContacts[2]]);
    const newest = first.items[0];
    expect(newest).toMatchObject({ customerId: mariaId, channel: 'chat', state: 'closed', disposition: 'resolved', queue: { name: 'Support' } });
    expect(newest.messages.map((m: any) => [m.direction, m.text])).toEqual([
      ['inbound', 'Hello from my phone'],
      ['outbound', 'Hi Maria!'],
    ]);
    expect(newest.events.map((e: any) => e.type)).toEqual(['queued', 'offered', 'accepted', 'wrap_up', 'closed']);

    const second = (await page(2)).body;
    expect(second).toMatchObject({ page: 2, pageSize: 1, total: 3 });
    expect(second.items.map((c: any) => c.id)).toEqual([mariaContacts[1]]);
    expect(second.items[0].messages.map((m: any) => m.text)).toEqual(['Me again: can I change the address?', 'Done, address changed.']);
    expect(second.items[0].events.map((e: any) => e.type)).toEqual(['queued', 'offered', 'accepted', 'wrap_up', 'closed']);

    expect((await page(3)).body.items.map((c: any) => c.id)).toEqual([mariaContacts[0]]);
    expect((await page(4)).body).toMatchObject({ items: [], total: 3 });

    const all = (await http().get(`/customers/${mariaId}/timeline`).set(bearer(admin)).expect(200)).body;
    expect(all).toMatchObject({ page: 1, pageSize: 20, total: 3 });
    expect(all.items.map((c: any) => c.id)).toEqual([...mariaContacts].reverse());

    for (const q of [{ page: 0 }, { pageSize: 101 }, { page: 'two' }]) {
      const res = await http().get(`/customers/${mariaId}/timeline`).query(q).set(bearer(supervisor)).expect(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(new RegExp(`\\b${Object.keys(q)[0]}\\b`)) });
    }
  });

  it('keeps tier and preferences set through PATCH, and the next offer carries them', async () => {
    const res = await http().patch(`/customers/${mariaId}`).set(bearer(supervisor)).send({ tier: 'vip', preferences: { spice: 'hot' }, notes: 'Prefers chat' }).expect(200);
    expect(res.body).toMatchObject({ id: mariaId, name: 'Maria Lopez', tier: 'vip', preferences: { spice: 'hot' }, notes: 'Prefers chat' });
    expect((await t.db.query(`SELECT tier, preferences, notes FROM customers WHERE id = $1`, [mariaId])).rows[0]).toEqual({
      tier: 'vip',
      preferences: { spice: 'hot' },
      notes: 'Prefers chat',
    });
    // an agent who served the customer may update the record too
    await http().patch(`/customers/${mariaId}`).set(bearer(aliceToken)).send({ preferences: { spice: 'hot', language: 'es' } }).expect(200);

    const before = (await t.db.query(`SELECT * FROM customers WHERE id = $1`, [mariaId])).rows[0];
    for (const [body, field] of [
      [{ tier: '' }, /\btier\b/],
      [{ preferences: 'hot' }, /\bpreferences\b/],
      [{ email: 'someone@example.com' }, /\bemail\b/],
      [{ notes: 'x'.repeat(4001) }, /\bnotes\b/],
    ] as const) {
      const bad = await http().patch(`/customers/${mariaId}`).set(bearer(supervisor)).send(body).expect(400);
      expect(bad.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(field) });
    }
    expect((await t.db.query(`SELECT * FROM customers WHERE id = $1`, [mariaId])).rows[0]).toEqual(before);
    expect((await http().get(`/customers/${randomUUID()}`).set(bearer(supervisor)).expect(404)).body).toMatchObject({ error: 'not_found' });
    await http().patch(`/customers/${randomUUID()}`).set(bearer(supervisor)).send({ tier: 'vip' }).expect(404);

    const fourth = await offerOf(alice, firstVisitor, 'Back once more');
    expect(fourth.customer).toEqual({
      id: mariaId,
      name: 'Maria Lopez',
      email: 'maria.lopez@example.com',
      phone: null,
      tier: 'vip',
      preferences: { spice: 'hot', language: 'es' },
      notes: 'Prefers chat',
    });
    expect(fourth.history).toHaveLength(3);
    mariaContacts.push(fourth.contactId);
    await handle(alice, fourth, 'Welcome back!', 'resolved');
  });

  it('lets an agent read only customers and contacts offered to them; supervisors and admins read any', async () => {
    // Olga's chat goes to Bob, never to Alice
    expect(await alice.ack('presence:set', { state: 'away', reason: 'lunch' })).toMatchObject({ ok: true });
    expect(await bob.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
    const olgaVisitor = await connectVisitor(t.url);
    const offer = await offerOf(bob, olgaVisitor, 'Hi, I am Olga', { name: 'Olga Petrova', email: 'olga@example.com' });
    expect(offer.customer.id).not.toBe(mariaId);
    olgaId = offer.customer.id;
    olgaContact = offer.contactId;
    await handle(bob, offer, 'Hello Olga', 'resolved');
    olgaVisitor.close();
    expect(await bob.ack('presence:set', { state: 'offline' })).toMatchObject({ ok: true });
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });

    // Alice served Maria
    expect((await http().get(`/customers/${mariaId}/timeline`).set(bearer(aliceToken)).expect(200)).body.total).toBe(4);
    expect((await http().get(`/customers/${mariaId}`).set(bearer(aliceToken)).expect(200)).body.id).toBe(mariaId);
    expect((await http().get(`/contacts/${mariaContacts[0]}`).set(bearer(aliceToken)).expect(200)).body).toMatchObject({ id: mariaContacts[0], customerId: mariaId });
    // ... but never Olga: to her, Olga does not exist
    const olgaBefore = (await t.db.query(`SELECT * FROM customers WHERE id = $1`, [olgaId])).rows[0];
    for (const req of [
      http().get(`/customers/${olgaId}/timeline`).set(bearer(aliceToken)),
      http().get(`/customers/${olgaId}`).set(bearer(aliceToken)),
      http().get(`/contacts/${olgaContact}`).set(bearer(aliceToken)),
      http().patch(`/customers/${olgaId}`).set(bearer(aliceToken)).send({ tier: 'vip' }),
      http().post(`/customers/${olgaId}/identities`).set(bearer(aliceToken)).send({ kind: 'phone', value: '+15550009999' }),
    ]) {
      const res = await req;
      expect([res.status, res.body.error]).toEqual([404, 'not_found']);
    }
    expect((await t.db.query(`SELECT * FROM customers WHERE id = $1`, [olgaId])).rows[0]).toEqual(olgaBefore);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM customer_identities WHERE value = '+15550009999'`)).rows[0].n).toBe(0);

    // Bob served Olga, never Maria
    expect((await http().get(`/customers/${olgaId}/timeline`).set(bearer(bobToken)).expect(200)).body).toMatchObject({ total: 1, items: [{ id: olgaContact }] });
    expect((await http().get(`/customers/${mariaId}/timeline`).set(bearer(bobToken)).expect(404)).body).toMatchObject({ error: 'not_found' });
    expect((await http().get(`/contacts/${mariaContacts[0]}`).set(bearer(bobToken)).expect(404)).body).toMatchObject({ error: 'not_found' });

    // supervisors and admins read any contact and customer
    for (const token of [supervisor, admin]) {
      const contact = await http().get(`/contacts/${olgaContact}`).set(bearer(token)).expect(200);
      expect(contact.body).toMatchObject({ id: olgaContact, customerId: olgaId, state: 'closed' });
      expect(contact.body.messages.map((m: any) => m.text)).toEqual(['Hi, I am Olga', 'Hello Olga']);
      await http().get(`/contacts/${mariaContacts[1]}`).set(bearer(token)).expect(200);
      await http().get(`/customers/${olgaId}/timeline`).set(bearer(token)).expect(200);
    }
    expect((await http().get(`/contacts/${randomUUID()}`).set(bearer(supervisor)).expect(404)).body).toMatchObject({ error: 'not_found' });
    expect((await http().get('/contacts/not-a-uuid').set(bearer(supervisor)).expect(400)).body).toMatchObject({ error: 'validation_failed' });
    await http().get(`/contacts/${olgaContact}`).expect(401);
    await http().get(`/customers/${olgaId}/timeline`).expect(401);
    const visitorToken = (await http().post('/webchat/sessions').send({}).expect(200)).body.visitorToken;
    await http().get(`/contacts/${olgaContact}`).set(bearer(visitorToken)).expect(401);
  });

  it('links a phone number to a customer, and refuses an address that belongs to someone else with 409', async () => {
    await http().post(`/customers/${mariaId}/identities`).set(bearer(supervisor)).send({ kind: 'phone', value: '+15551230001' }).expect(204);
    expect((await http().get(`/customers/${mariaId}`).set(bearer(supervisor)).expect(200)).body.identities).toContainEqual({ kind: 'phone', value: '+15551230001' });
    // linking it again is harmless
    await http().post(`/customers/${mariaId}/identities`).set(bearer(admin)).send({ kind: 'phone', value: '+15551230001' }).expect(204);
    const owners = async (kind: string, value: string) =>
      (await t.db.query(`SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2`, [kind, value])).rows.map((r) => r.customer_id);
    expect(await owners('phone', '+15551230001')).toEqual([mariaId]);

    const taken = await http().post(`/customers/${olgaId}/identities`).set(bearer(supervisor)).send({ kind: 'phone', value: '+15551230001' }).expect(409);
    expect(taken.body).toMatchObject({ statusCode: 409, error: 'conflict' });
    // an email is compared in lower case
    await http().post(`/customers/${olgaId}/identities`).set(bearer(supervisor)).send({ kind: 'email', value: 'MARIA.LOPEZ@example.com' }).expect(409);
    expect(await owners('phone', '+15551230001')).toEqual([mariaId]);
    expect(await owners('email', 'maria.lopez@example.com')).toEqual([mariaId]);
    expect((await http().get(`/customers/${olgaId}`).set(bearer(supervisor)).expect(200)).body.identities).toHaveLength(2);

    for (const [body, field] of [
      [{ kind: 'fax', value: '123' }, /\bkind\b/],
      [{ kind: 'phone' }, /\bvalue\b/],
      [{ kind: 'phone', value: '' }, /\bvalue\b/],
      [{ kind: 'phone', value: '+15551230002', primary: true }, /\bprimary\b/],
    ] as const) {
      const bad = await http().post(`/customers/${mariaId}/identities`).set(bearer(supervisor)).send(body).expect(400);
      expect(bad.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(field) });
    }
    expect(await owners('phone', '+15551230002')).toEqual([]);
    await http().post(`/customers/${randomUUID()}/identities`).set(bearer(supervisor)).send({ kind: 'phone', value: '+15551230003' }).expect(404);
    expect(await owners('phone', '+15551230003')).toEqual([]);
  });

  it('gives a visitor who drops mid-conversation and comes back with the same token the messages they missed, live', async () => {
    const visitor = await connectVisitor(t.url);
    const offer = await offerOf(alice, visitor, 'Can you help with a refund?', { name: 'Rita Refund' });
    const joined = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'active');
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    await joined;

    visitor.close(); // the tab closes, or the network drops: no goodbye
    const sent = await alice.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: 'Sure, the refund is on its way.' });
    expect(sent).toMatchObject({ ok: true, message: { text: 'Sure, the refund is on its way.' } });

    const back = await connectVisitor(t.url, visitor.token);
    expect(back.visitorId).toBe(visitor.visitorId);
    expect(back.conversation).toMatchObject({ contactId: offer.contactId, state: 'active', agentName: 'Alice Agent' });
    expect(back.conversation.messages.map((m: any) => [m.direction, m.author.type, m.text])).toEqual([
      ['inbound', 'customer', 'Can you help with a refund?'],
      ['outbound', 'agent', 'Sure, the refund is on its way.'],
    ]);
    // dropping the connection is not leaving: the contact is still live with Alice
    expect((await t.db.query(`SELECT state, agent_id FROM contacts WHERE id = $1`, [offer.contactId])).rows[0]).toMatchObject({ state: 'active' });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM contact_events WHERE contact_id = $1 AND type IN ('customer_left', 'abandoned')`, [offer.contactId])).rows[0].n).toBe(0);

    // and the conversation carries on both ways
    const agentGets = waitForEvent(alice.socket, 'message', (m) => m.text === 'Great, thanks!');
    await back.say('Great, thanks!');
    expect(await agentGets).toMatchObject({ contactId: offer.contactId, direction: 'inbound' });
    const visitorGets = waitForEvent(back.socket, 'message', (m) => m.text === 'Anything else?');
    await alice.ack('message:send', { contactId: offer.contactId, clientMessageId: randomUUID(), text: 'Anything else?' });
    expect(await visitorGets).toMatchObject({ contactId: offer.contactId, direction: 'outbound' });

    expect(await alice.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
    back.close();
  });
});
