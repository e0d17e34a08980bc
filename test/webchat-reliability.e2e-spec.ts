import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { QueueName } from '@cc/shared';
import { JobsService } from '@cc/platform';
import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, waitForEvent } from './support/clients';

describe('web chat under retries, timeouts and bad input', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { OFFER_TIMEOUT_SECONDS: '1', OFFER_REOFFER_COOLDOWN_SECONDS: '60' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows[0].n as number;

  it('stores a retried message once, whether the retry arrives while the job is queued or long after', async () => {
    const visitor = await connectVisitor(t.url);
    const clientMessageId = randomUUID();
    const payload = { clientMessageId, text: 'is my parcel lost?' };
    const acks = await Promise.all([visitor.ack('message:send', payload), visitor.ack('message:send', payload)]);
    expect(acks).toEqual([{ ok: true, clientMessageId }, { ok: true, clientMessageId }]);
    await eventually(async () => (await count(`SELECT count(*)::int AS n FROM messages WHERE client_message_id = $1`, [clientMessageId])) === 1);

    // the queue forgets finished jobs; the database's unique key must still catch the retry
    await t.app.get(JobsService).queue(QueueName.Inbound).clean(0, 10_000, 'completed');
    expect(await visitor.ack('message:send', payload)).toEqual({ ok: true, clientMessageId });
    const marker = randomUUID();
    await visitor.ack('message:send', { clientMessageId: marker, text: 'and another thing' });
    await eventually(async () => (await count(`SELECT count(*)::int AS n FROM messages WHERE client_message_id = $1`, [marker])) === 1);
    expect(await count(`SELECT count(*)::int AS n FROM messages WHERE client_message_id = $1`, [clientMessageId])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM contacts WHERE address = $1`, [visitor.visitorId])).toBe(1);
    await visitor.ack('conversation:leave');
    visitor.close();
  });

  it('re-offers a contact to the next available agent when the first lets the offer time out', async () => {
    const alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    const bob = await connectAgent(t.url, await login(t.url, 'bob@demo.local', 'agent-demo'));
    await alice.ack('presence:set', { state: 'available' });
    await bob.ack('presence:set', { state: 'available' });

    const firstOffer = Promise.race([waitForEvent(alice.socket, 'offer').then((o) => ({ o, who: alice, other: bob })), waitForEvent(bob.socket, 'offer').then((o) => ({ o, who: bob, other: alice }))]);
    const visitor = await connectVisitor(t.url);
    await visitor.say('anyone there?');
    const { o: offer, who: slow, other } = await firstOffer;

    const revoked = waitForEvent(slow.socket, 'offer:revoked', (e) => e.offerId === offer.offerId);
    const second = await waitForEvent(other.socket, 'offer', (o) => o.contactId === offer.contactId);
    expect(await revoked).toEqual({ offerId: offer.offerId, contactId: offer.contactId, reason: 'timeout' });
    expect(second.offerId).not.toBe(offer.offerId);

    // too late: the first agent's accept is refused and changes nothing
    expect(await slow.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: false, error: { code: 'offer_expired' } });
    expect(await other.ack('offer:accept', { offerId: second.offerId })).toMatchObject({ ok: true });

    const events = (await t.db.query(`SELECT type, data->>'agentId' AS agent FROM contact_events WHERE contact_id = $1 ORDER BY id`, [offer.contactId])).rows;
    expect(events.map((e) => e.type)).toEqual(['queued', 'offered', 'offer_timeout', 'offered', 'accepted']);
    expect(events[1].agent).not.toBe(events[3].agent);
    const missed = (await t.db.query(`SELECT missed_offers FROM agents a JOIN contact_offers o ON o.agent_id = a.user_id WHERE o.id = $1`, [offer.offerId])).rows[0];
    expect(missed.missed_offers).toBe(1);

    await other.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' });
    await alice.ack('presence:set', { state: 'offline' });
    await bob.ack('presence:set', { state: 'offline' });
    alice.close();
    bob.close();
    visitor.close();
  });

  it('answers bad socket payloads with validation_failed and stores nothing', async () => {
    const visitor = await connectVisitor(t.url);
    const before = await count(`SELECT count(*)::int AS n FROM messages`);
    const bad = [
      { text: 'no id' },
      { clientMessageId: 'has spaces in it', text: 'x' },
      { clientMessageId: randomUUID(), text: '' },
      { clientMessageId: randomUUID(), text: 'x'.repeat(4001) },
      { clientMessageId: randomUUID(), text: 'hi', sneaky: true },
      { clientMessageId: randomUUID(), text: 'hi', email: 'not-an-email' },
      'just a string',
      null,
    ];
    for (const payload of bad) {
      const ack = await visitor.ack('message:send', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
      expect(ack.error.message.length).toBeGreaterThan(0);
    }
    expect(await visitor.ack('message:send', { clientMessageId: randomUUID(), text: 'hi', queue: 'Nowhere' })).toMatchObject({
      ok: false,
      error: { code: 'unknown_queue' },
    });
    const counts = await t.app.get(JobsService).queue(QueueName.Inbound).getJobCounts('waiting', 'active', 'delayed');
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect(await count(`SELECT count(*)::int AS n FROM messages`)).toBe(before);
    expect(await count(`SELECT count(*)::int AS n FROM contacts WHERE address = $1`, [visitor.visitorId])).toBe(0);

    const alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    expect(await alice.ack('presence:set', { state: 'sleeping' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await alice.ack('offer:accept', { offerId: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await alice.ack('offer:accept', { offerId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await alice.ack('message:send', { contactId: randomUUID(), clientMessageId: 'a1', text: 'hello' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const presence = (await t.db.query(`SELECT a.presence FROM agents a JOIN users u ON u.id = a.user_id WHERE u.email = 'alice@demo.local'`)).rows[0];
    expect(presence.presence).toBe('offline');
    alice.close();
    visitor.close();
  });

  it('refuses sockets without a valid token, and staff tokens on the visitor side', async () => {
    const { io } = await import('socket.io-client');
    const refused = (ns: string, token: unknown) =>
      new Promise<any>((ok) => {
        const s = io(`${t.url}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
        s.on('connect', () => ok({ connected: true }));
        s.on('connect_error', (e: any) => ok({ message: e.message, data: e.data }));
      });
    expect(await refused('/agents', 'garbage')).toMatchObject({ data: { code: 'unauthorized' } });
    expect(await refused('/webchat', undefined)).toMatchObject({ data: { code: 'unauthorized' } });
    const staff = await login(t.url, 'alice@demo.local', 'agent-demo');
    expect(await refused('/webchat', staff)).toMatchObject({ data: { code: 'unauthorized' } });
    const supervisor = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    expect(await refused('/agents', supervisor)).toMatchObject({ data: { code: 'forbidden' } });
    const visitorSession = await request(t.url).post('/webchat/sessions').send({}).expect(200);
    expect(await refused('/agents', visitorSession.body.visitorToken)).toMatchObject({ data: { code: 'unauthorized' } });
  });
});
