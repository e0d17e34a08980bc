import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { QueueLiveStats } from '@cc/shared';
import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, waitForEvent, type AgentClient, type VisitorClient } from './support/clients';
import { connectSupervisor, refusedAtSupervisors, type SupervisorClient } from './support/supervision-clients';

const OPEN = `('queued', 'offered', 'active', 'wrap_up')`;

/**
 * The supervisors' side: the /supervisors socket and GET /supervision/live (who may use them, the
 * live figures as contacts flow, computed from the database), and every intervention taking effect
 * on the agent's desk and the visitor's chat, logged with the supervisor as its actor.
 */
describe('supervisors: live figures and interventions', () => {
  let t: TestApp;
  let tokens: { supervisor: string; admin: string; alice: string; bob: string };
  let ids: { supervisor: string; admin: string; alice: string; bob: string };
  let alice: AgentClient;
  let bob: AgentClient;
  let sup: SupervisorClient;
  let adm: SupervisorClient;
  const visitors: VisitorClient[] = [];

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const agentById = (id: string) => (id === ids.alice ? alice : id === ids.bob ? bob : undefined);

  async function presence(agent: AgentClient, state: 'available' | 'away' | 'offline'): Promise<void> {
    expect(await agent.ack('presence:set', { state })).toMatchObject({ ok: true, presence: state });
  }

  /** A new visitor writes into Support; resolves once the contact is open, with its id. */
  async function chat(text: string): Promise<{ visitor: VisitorClient; contactId: string }> {
    const visitor = await connectVisitor(t.url);
    visitors.push(visitor);
    const queued = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'queued');
    expect(await visitor.say(text, { queue: 'Support' })).toMatchObject({ ok: true });
    return { visitor, contactId: (await queued).contactId };
  }

  const offerOf = (agent: AgentClient, text: string) => waitForEvent(agent.socket, 'offer', (o) => o.messages.some((m: any) => m.text === text));

  /** A chat into Support that `agent` (the only available one) is offered and accepts. */
  async function answered(agent: AgentClient, text: string): Promise<{ visitor: VisitorClient; contactId: string }> {
    const offered = offerOf(agent, text);
    const c = await chat(text);
    const offer = await offered;
    expect(offer.contactId).toBe(c.contactId);
    expect(await agent.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { contactId: c.contactId, state: 'active' } });
    return c;
  }

  const events = async (contactId: string, type: string) =>
    (
      await t.db.query(
        `SELECT type, from_state, to_state, actor_type, actor_id, reason, data FROM contact_events WHERE contact_id = $1 AND type = $2 ORDER BY id`,
        [contactId, type],
      )
    ).rows;

  const chatLoad = async (agentId: string) =>
    (await t.db.query(`SELECT load FROM agent_capacities WHERE agent_id = $1 AND channel = 'chat'`, [agentId])).rows[0].load as number;

  beforeAll(async () => {
    t = await startApp();
    tokens = {
      supervisor: await login(t.url, 'supervisor@demo.local', 'supervisor-demo'),
      admin: await login(t.url, 'admin@demo.local', 'admin-demo'),
      alice: await login(t.url, 'alice@demo.local', 'agent-demo'),
      bob: await login(t.url, 'bob@demo.local', 'agent-demo'),
    };
    const { rows } = await t.db.query(`SELECT email, id FROM users`);
    const idOf = (email: string) => rows.find((r) => r.email === email).id as string;
    ids = { supervisor: idOf('supervisor@demo.local'), admin: idOf('admin@demo.local'), alice: idOf('alice@demo.local'), bob: idOf('bob@demo.local') };
    alice = await connectAgent(t.url, tokens.alice);
    bob = await connectAgent(t.url, tokens.bob);
    sup = await connectSupervisor(t.url, tokens.supervisor);
    adm = await connectSupervisor(t.url, tokens.admin);
  });

  /** Every contact ended and wrapped up (or left by its visitor), both agents available again. */
  afterEach(async () => {
    if (!t) return;
    await eventually(
      async () => {
        const { rows } = await t.db.query(`SELECT id, state, agent_id, address FROM contacts WHERE state IN ${OPEN}`);
        for (const r of rows) {
          const agent = agentById(r.agent_id);
          if ((r.state === 'active' || r.state === 'wrap_up') && agent) await agent.ack('contact:wrapup', { contactId: r.id, disposition: 'test-cleanup' });
          else await visitors.find((v) => v.visitorId === r.address)?.ack('conversation:leave');
        }
        return rows.length === 0;
      },
      15_000,
      'every contact closed between tests',
    );
    for (const v of visitors.splice(0)) v.close();
    await presence(alice, 'available');
    await presence(bob, 'available');
  });

  afterAll(async () => {
    for (const c of [alice, bob, sup, adm, ...visitors]) c?.close();
    await t?.close();
  });

  it('admits supervisors and admins only, on the socket and over HTTP, and gives them the whole picture', async () => {
    // refused at connect, before any snapshot
    const visitorSession = await request(t.url).post('/webchat/sessions').send({}).expect(200);
    expect(await refusedAtSupervisors(t.url, { token: tokens.alice })).toEqual({ message: 'only supervisors and admins may join /supervisors', data: { code: 'forbidden' } });
    expect(await refusedAtSupervisors(t.url, { token: visitorSession.body.visitorToken })).toEqual({ message: 'not an access token', data: { code: 'unauthorized' } });
    expect(await refusedAtSupervisors(t.url, {})).toEqual({ message: 'token missing', data: { code: 'unauthorized' } });
    expect(await refusedAtSupervisors(t.url, { token: 'not-a-jwt' })).toEqual({ message: 'token invalid or expired', data: { code: 'unauthorized' } });

    // a supervisor and an admin got the snapshot on connect
    for (const who of [sup, adm]) {
      expect(who.snapshot.queues.map((q) => q.name)).toEqual(['Sales', 'Support']);
      expect(who.snapshot.agents.map((a) => a.name)).toEqual(['Alice Agent', 'Bob Agent']);
      expect(Date.parse(who.snapshot.at)).not.toBeNaN();
    }
    const support = sup.snapshot.queues.find((q) => q.name === 'Support')!;
    expect(support).toEqual({
      queueId: expect.any(String),
      name: 'Support',
      open: true,
      timeZone: expect.any(String),
      waitingByChannel: {},
      waiting: 0,
      longestWaitSeconds: null,
      offered: 0,
      active: 0,
      agentsByState: { offline: 2 },
      today: { offered: 0, answered: 0, abandoned: 0, serviceLevelPercent: null, averageSpeedOfAnswerSeconds: null, averageHandleTimeSeconds: null },
    });
    expect(sup.snapshot.queues.find((q) => q.name === 'Sales')!.agentsByState).toEqual({ offline: 1 });
    expect(sup.snapshot.agents.find((a) => a.name === 'Alice Agent')).toEqual({
      agentId: ids.alice,
      name: 'Alice Agent',
      status: 'offline',
      since: expect.any(String),
      awayReason: null,
      missedOffers: 0,
      contacts: [],
      handledToday: 0,
    });

    // the same figures over HTTP, for supervisors and admins only
    const asked = await sup.ack('snapshot');
    expect(asked).toMatchObject({ ok: true, snapshot: { queues: expect.any(Array), agents: expect.any(Array) } });
    for (const token of [tokens.supervisor, tokens.admin]) {
      const res = await request(t.url).get('/supervision/live').set(bearer(token)).expect(200);
      expect(Date.parse(res.body.at)).not.toBeNaN();
      expect({ queues: res.body.queues, agents: res.body.agents }).toEqual({ queues: asked.snapshot.queues, agents: asked.snapshot.agents });
    }
    const forbidden = await request(t.url).get('/supervision/live').set(bearer(tokens.alice)).expect(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, error: 'forbidden' });
    const unauthorized = await request(t.url).get('/supervision/live').expect(401);
    expect(unauthorized.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
    await request(t.url).get('/supervision/live').set(bearer(visitorSession.body.visitorToken)).expect(401);
  });

  it('moves the figures as a chat waits, is answered and wrapped up, and every API instance reads the same ones from the database', async () => {
    // the first contact of the day in this database: today's figures start at zero
    await presence(bob, 'away');
    await presence(alice, 'available');
    const start = sup.queueStats.length;

    const offered = offerOf(alice, 'Where is my parcel?');
    const { visitor, contactId } = await chat('Where is my parcel?');
    const offer = await offered;
    // alice has not answered yet: the contact waits, or is offered to her
    const waiting = await sup.pushedQueue('Support', (q) => q.waiting === 1 || q.offered === 1, start);
    if (waiting.waiting === 1) {
      expect(waiting.waitingByChannel).toEqual({ chat: 1 });
      expect(typeof waiting.longestWaitSeconds).toBe('number');
    } else {
      expect(waiting).toMatchObject({ waiting: 0, waitingByChannel: {}, longestWaitSeconds: null, offered: 1, active: 0 });
    }

    const beforeAccept = sup.queueStats.length;
    const beforeAcceptAgents = sup.agentStats.length;
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    const answeredStats = await sup.pushedQueue('Support', (q) => q.active === 1 && q.today.answered === 1, beforeAccept);
    expect(answeredStats).toMatchObject({
      waiting: 0,
      offered: 0,
      active: 1,
      // alice holds one chat of three: still available; bob is away
      agentsByState: { available: 1, away: 1 },
      today: { offered: 1, answered: 1, abandoned: 0, serviceLevelPercent: 100 },
    });
    expect(answeredStats.today.averageSpeedOfAnswerSeconds).toEqual(expect.any(Number));
    expect(answeredStats.today.averageSpeedOfAnswerSeconds).toBeGreaterThanOrEqual(0);
    expect(answeredStats.today.averageHandleTimeSeconds).toBeNull();
    const aliceWorking = await sup.pushedAgent('Alice Agent', (a) => a.contacts.some((c) => c.state === 'active'), beforeAcceptAgents);
    expect(aliceWorking).toMatchObject({ status: 'available', contacts: [{ contactId, channel: 'chat', state: 'active', queueId: answeredStats.queueId }] });
    // Sales counts alice too, by her status, though the contact is not in it
    const now = await sup.ack('snapshot');
    expect(now.snapshot.queues.find((q: QueueLiveStats) => q.name === 'Sales')).toMatchObject({ active: 0, agentsByState: { available: 1 }, today: { offered: 0 } });

    const beforeEnd = sup.queueStats.length;
    const beforeEndAgents = sup.agentStats.length;
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    await sup.pushedQueue('Support', (q) => q.agentsByState.wrap_up === 1 && q.active === 1, beforeEnd);
    expect(await sup.pushedAgent('Alice Agent', (a) => a.status === 'wrap_up', beforeEndAgents)).toMatchObject({
      contacts: [{ contactId, state: 'wrap_up' }],
    });

    const beforeWrapUp = sup.queueStats.length;
    const beforeWrapUpAgents = sup.agentStats.length;
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
    const done = await sup.pushedQueue('Support', (q) => q.active === 0 && q.today.averageHandleTimeSeconds !== null, beforeWrapUp);
    expect(done).toMatchObject({ waiting: 0, offered: 0, active: 0, agentsByState: { available: 1, away: 1 }, today: { offered: 1, answered: 1, abandoned: 0 } });
    expect(done.today.averageHandleTimeSeconds).toEqual(expect.any(Number));
    expect(done.today.averageHandleTimeSeconds).toBeGreaterThanOrEqual(0);
    const aliceDone = await sup.pushedAgent('Alice Agent', (a) => a.handledToday === 1, beforeWrapUpAgents);
    expect(aliceDone).toMatchObject({ status: 'available', contacts: [], handledToday: 1 });
    // the admin's socket was pushed the same figures
    await adm.pushedQueue('Support', (q) => q.today.answered === 1 && q.today.averageHandleTimeSeconds !== null);
    visitor.close();

    // a second API instance on the same database, which saw none of this, answers the same figures
    const t2 = await startApp({ env: { DATABASE_URL: t.config.databaseUrl, QUEUE_PREFIX: t.config.queuePrefix }, parts: ['api'] });
    try {
      const live = async (app: TestApp) => (await request(app.url).get('/supervision/live').set(bearer(tokens.supervisor)).expect(200)).body;
      const other = await live(t2);
      const supportThere = other.queues.find((q: QueueLiveStats) => q.name === 'Support');
      expect(supportThere).toMatchObject({ waiting: 0, offered: 0, active: 0, agentsByState: { available: 1, away: 1 }, today: { offered: 1, answered: 1, abandoned: 0 } });
      expect(supportThere.today.averageSpeedOfAnswerSeconds).toBe(done.today.averageSpeedOfAnswerSeconds);
      expect(supportThere.today.averageHandleTimeSeconds).toBe(done.today.averageHandleTimeSeconds);
      expect(other.agents.find((a: any) => a.name === 'Alice Agent')).toMatchObject({ handledToday: 1, status: 'available', contacts: [] });
      // the first instance may serve today's figures from its few-second cache: the two agree once it refreshes
      const agree = async () => {
        const [a, b] = await Promise.all([live(t), live(t2)]);
        return { a: { queues: a.queues, agents: a.agents }, b: { queues: b.queues, agents: b.agents } };
      };
      await eventually(async () => {
        const { a, b } = await agree();
        return JSON.stringify(a) === JSON.stringify(b);
      }, 10_000, 'both instances to answer the same figures').catch(async () => {
        const { a, b } = await agree();
        expect(b).toEqual(a);
      });
    } finally {
      await t2.close();
    }
  });

  it('agent:set-state forces an agent away: the desk is told, the state log names the supervisor, the figures follow', async () => {
    const fromAgents = sup.agentStats.length;
    const told = waitForEvent(alice.socket, 'presence:changed', (e) => e.presence === 'away');
    expect(await sup.ack('agent:set-state', { agentId: ids.alice, presence: 'away', reason: 'meeting' })).toEqual({ ok: true, changed: true });
    expect(await told).toEqual({ presence: 'away', awayReason: 'meeting' });

    const log = async () =>
      (await t.db.query(`SELECT presence, away_reason, actor_type, actor_id FROM agent_state_log WHERE agent_id = $1 ORDER BY id DESC`, [ids.alice])).rows;
    expect((await log())[0]).toEqual({ presence: 'away', away_reason: 'meeting', actor_type: 'supervisor', actor_id: ids.supervisor });
    expect((await alice.ack('agent:state')).state).toMatchObject({ presence: 'away', status: 'away', awayReason: 'meeting' });
    const stats = await sup.pushedAgent('Alice Agent', (a) => a.status === 'away', fromAgents);
    expect(stats).toMatchObject({ agentId: ids.alice, status: 'away', awayReason: 'meeting' });

    // refused commands change nothing
    const rowsBefore = (await log()).length;
    const unknown = await sup.ack('agent:set-state', { agentId: randomUUID(), presence: 'away' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const notAnAgent = await sup.ack('agent:set-state', { agentId: ids.supervisor, presence: 'away' });
    expect(notAnAgent).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const badPresence = await sup.ack('agent:set-state', { agentId: ids.alice, presence: 'sleeping' });
    expect(badPresence).toMatchObject({ ok: false, error: { code: 'validation_failed', details: [{ field: 'presence', problems: expect.any(Array) }] } });
    expect(await sup.ack('agent:set-state', { agentId: 'alice', presence: 'away' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect((await log()).length).toBe(rowsBefore);

    // an admin sets her back: the log names the admin
    const back = waitForEvent(alice.socket, 'presence:changed', (e) => e.presence === 'available');
    expect(await adm.ack('agent:set-state', { agentId: ids.alice, presence: 'available' })).toEqual({ ok: true, changed: true });
    expect(await back).toEqual({ presence: 'available', awayReason: null });
    expect((await log())[0]).toEqual({ presence: 'available', away_reason: null, actor_type: 'admin', actor_id: ids.admin });
    // her own change is hers
    await presence(alice, 'away');
    expect((await log())[0]).toMatchObject({ presence: 'away', actor_type: 'agent', actor_id: null });
  });

  it('contact:requeue takes an active contact from its agent, frees her capacity, and it is routed again', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const { visitor, contactId } = await answered(alice, 'Please requeue me');
    expect(await chatLoad(ids.alice)).toBe(1);
    // bob comes in now: idle longer than alice will be once she lets go
    await presence(bob, 'available');
    expect(await sup.ack('contact:monitor', { contactId })).toMatchObject({ ok: true });

    const released = waitForEvent(alice.socket, 'contact:released', (e) => e.contactId === contactId);
    const toBob = waitForEvent(bob.socket, 'offer', (o) => o.contactId === contactId);
    const visitorQueued = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'queued');
    const monitorSees = waitForEvent(sup.socket, 'contact:state', (e) => e.contactId === contactId);
    expect(await sup.ack('contact:requeue', { contactId })).toEqual({ ok: true });

    expect(await released).toEqual({ contactId, reason: 'requeued' });
    expect(await visitorQueued).toEqual({ contactId, state: 'queued', agentName: null });
    expect(await monitorSees).toEqual({ contactId, state: 'queued', reason: 'requeued' });
    expect(await toBob).toMatchObject({ contactId, queue: { name: 'Support' }, messages: [{ text: 'Please requeue me' }] });
    expect(await events(contactId, 'requeued')).toEqual([
      {
        type: 'requeued',
        from_state: 'active',
        to_state: 'queued',
        actor_type: 'supervisor',
        actor_id: ids.supervisor,
        reason: 'supervisor',
        data: { fromAgentId: ids.alice, toAgentId: null },
      },
    ]);
    expect(await chatLoad(ids.alice)).toBe(0);
    expect(await chatLoad(ids.bob)).toBe(1);
    // the contact is no longer hers
    const late = await alice.ack('message:send', { contactId, clientMessageId: randomUUID(), text: 'still there?' });
    expect(late).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await alice.ack('agent:state')).state.contacts).toEqual([]);

    // a closed contact cannot be requeued; an unknown one is not found
    const offer = await toBob;
    const joined = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'active');
    expect(await bob.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    expect(await joined).toEqual({ contactId, state: 'active', agentName: 'Bob Agent' });
    expect(await bob.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
    expect(await sup.ack('contact:requeue', { contactId })).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect(await sup.ack('contact:requeue', { contactId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await sup.ack('contact:requeue', { contactId: 'nope' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await events(contactId, 'requeued')).toHaveLength(1);
  });

  it('contact:requeue on an offered contact withdraws the offer with reason supervisor', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const offered = offerOf(alice, 'Offered, not yet taken');
    const { contactId } = await chat('Offered, not yet taken');
    const offer = await offered;

    const revoked = waitForEvent(alice.socket, 'offer:revoked', (e) => e.offerId === offer.offerId);
    // alice is the only one available: the contact, waiting again, is offered to her afresh
    const again = waitForEvent(alice.socket, 'offer', (o) => o.contactId === contactId && o.offerId !== offer.offerId);
    expect(await sup.ack('contact:requeue', { contactId })).toEqual({ ok: true });
    expect(await revoked).toEqual({ offerId: offer.offerId, contactId, reason: 'supervisor' });
    const { rows } = await t.db.query(`SELECT status, reason FROM contact_offers WHERE id = $1`, [offer.offerId]);
    expect(rows[0]).toEqual({ status: 'revoked', reason: 'supervisor' });
    expect(await events(contactId, 'requeued')).toEqual([
      expect.objectContaining({ from_state: 'offered', to_state: 'queued', actor_type: 'supervisor', actor_id: ids.supervisor }),
    ]);
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: false, error: { code: 'offer_expired' } });
    await again;
    // one unit of capacity for the one pending offer, not two
    expect(await chatLoad(ids.alice)).toBe(1);
  });

  it('contact:reassign gives the contact to the named agent, though normal routing would pick its available former agent', async () => {
    // bob already holds a chat; alice holds nothing once hers is taken: routing alone would choose her
    await presence(alice, 'away');
    await presence(bob, 'available');
    await answered(bob, 'Bob has this one');
    await presence(alice, 'available');
    const { visitor, contactId } = await answered(alice, 'Give me to Bob');

    const released = waitForEvent(alice.socket, 'contact:released', (e) => e.contactId === contactId);
    const toBob = waitForEvent(bob.socket, 'offer', (o) => o.contactId === contactId);
    const aliceOffered: any[] = [];
    const onOffer = (o: any) => aliceOffered.push(o);
    alice.socket.on('offer', onOffer);
    try {
      expect(await sup.ack('contact:reassign', { contactId, agentId: ids.bob })).toEqual({ ok: true });
      expect(await released).toEqual({ contactId, reason: 'reassigned' });
      const offer = await toBob;
      expect(offer).toMatchObject({ contactId, messages: [{ text: 'Give me to Bob' }] });
      expect(aliceOffered).toEqual([]);
      expect((await alice.ack('agent:state')).state).toMatchObject({ presence: 'available', status: 'available', offers: [], contacts: [] });
      expect(await events(contactId, 'reassigned')).toEqual([
        {
          type: 'reassigned',
          from_state: 'active',
          to_state: 'queued',
          actor_type: 'supervisor',
          actor_id: ids.supervisor,
          reason: 'supervisor',
          data: { fromAgentId: ids.alice, toAgentId: ids.bob },
        },
      ]);
      expect(await chatLoad(ids.alice)).toBe(0);

      const joined = waitForEvent(visitor.socket, 'conversation:state', (e) => e.state === 'active');
      expect(await bob.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
      expect(await joined).toMatchObject({ contactId, agentName: 'Bob Agent' });
    } finally {
      alice.socket.off('offer', onOffer);
    }
    // to the agent who already has it, or to no agent at all: refused, nothing changes
    expect(await sup.ack('contact:reassign', { contactId, agentId: ids.bob })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(await sup.ack('contact:reassign', { contactId, agentId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await sup.ack('contact:reassign', { contactId, agentId: ids.supervisor })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await events(contactId, 'reassigned')).toHaveLength(1);
    const { rows } = await t.db.query(`SELECT state, agent_id FROM contacts WHERE id = $1`, [contactId]);
    expect(rows[0]).toEqual({ state: 'active', agent_id: ids.bob });
  });

  it('contact:monitor returns the conversation so far, then streams its messages to that supervisor until unmonitor', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const { visitor, contactId } = await answered(alice, 'Is anyone watching?');

    const monitored = await sup.ack('contact:monitor', { contactId });
    expect(monitored).toMatchObject({
      ok: true,
      contact: { id: contactId, state: 'active', agentId: ids.alice, channel: 'chat', messages: [{ text: 'Is anyone watching?', direction: 'inbound', author: { type: 'customer' } }] },
    });
    expect(await events(contactId, 'monitor_started')).toEqual([
      { type: 'monitor_started', from_state: null, to_state: null, actor_type: 'supervisor', actor_id: ids.supervisor, reason: null, data: {} },
    ]);

    const inbound = waitForEvent(sup.socket, 'message', (m) => m.text === 'Yes, I have a question');
    await visitor.say('Yes, I have a question');
    expect(await inbound).toMatchObject({ contactId, direction: 'inbound', author: { type: 'customer' } });
    const outbound = waitForEvent(sup.socket, 'message', (m) => m.text === 'Go ahead');
    expect(await alice.ack('message:send', { contactId, clientMessageId: randomUUID(), text: 'Go ahead' })).toMatchObject({ ok: true });
    expect(await outbound).toMatchObject({ contactId, direction: 'outbound', author: { type: 'agent', id: ids.alice, name: 'Alice Agent' } });
    // the admin, who is not monitoring, is sent none of it (a round trip on the same socket orders it after the messages)
    await adm.ack('snapshot');
    expect(adm.messages.filter((m) => m.contactId === contactId)).toEqual([]);

    expect(await sup.ack('contact:unmonitor', { contactId })).toEqual({ ok: true });
    expect(await alice.ack('message:send', { contactId, clientMessageId: randomUUID(), text: 'After unmonitor' })).toMatchObject({ ok: true });
    await sup.ack('snapshot');
    expect(sup.messages.filter((m) => m.text === 'After unmonitor')).toEqual([]);

    expect(await sup.ack('contact:monitor', { contactId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('contact:monitor streams the contact state changes the agent makes (accept, end, wrap-up)', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const offered = offerOf(alice, 'Watch my states');
    const { contactId } = await chat('Watch my states');
    const offer = await offered;
    expect(await sup.ack('contact:monitor', { contactId })).toMatchObject({ ok: true, contact: { id: contactId, state: 'offered' } });

    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
    await sup.ack('snapshot');
    const states = () => sup.states.filter((e) => e.contactId === contactId).map((e) => e.state);
    await eventually(async () => states().length >= 3, 5_000, 'contact:state for accept, end and wrap-up').catch(() => undefined);
    expect(states()).toEqual(['active', 'wrap_up', 'closed']);
  });

  it('contact:whisper reaches the agent (and monitors) as an internal note, never the visitor', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const { visitor, contactId } = await answered(alice, 'I need a refund');
    const visitorTexts: string[] = [];
    visitor.socket.on('message', (m: any) => visitorTexts.push(m.text));

    const whisper = 'Check the order date before refunding';
    const clientMessageId = randomUUID();
    const agentHears = waitForEvent(alice.socket, 'message', (m) => m.text === whisper);
    const sent = await sup.ack('contact:whisper', { contactId, clientMessageId, text: whisper });
    expect(sent).toMatchObject({
      ok: true,
      message: { contactId, direction: 'internal', author: { type: 'supervisor', id: ids.supervisor, name: 'Sam Supervisor' }, text: whisper, clientMessageId },
    });
    expect(await agentHears).toEqual(sent.message);
    expect(await events(contactId, 'whisper')).toEqual([
      expect.objectContaining({ actor_type: 'supervisor', actor_id: ids.supervisor, data: { messageId: sent.message.id, agentId: ids.alice } }),
    ]);

    // the agent's next reply reaches the visitor: the whisper, sent before it, never did
    const reply = waitForEvent(visitor.socket, 'message', (m) => m.text === 'Let me look at your order');
    expect(await alice.ack('message:send', { contactId, clientMessageId: randomUUID(), text: 'Let me look at your order' })).toMatchObject({ ok: true });
    await reply;
    expect(visitorTexts).not.toContain(whisper);
    const got = await visitor.ack('conversation:get');
    expect(got.conversation.messages.map((m: any) => m.text)).toEqual(['I need a refund', 'Let me look at your order']);
    const again = await connectVisitor(t.url, visitor.token);
    visitors.push(again);
    expect(again.conversation.messages.map((m: any) => m.text)).toEqual(['I need a refund', 'Let me look at your order']);
    // staff see it in the contact's record
    const detail = await request(t.url).get(`/contacts/${contactId}`).set(bearer(tokens.supervisor)).expect(200);
    expect(detail.body.messages.map((m: any) => [m.direction, m.author.type, m.text])).toEqual([
      ['inbound', 'customer', 'I need a refund'],
      ['internal', 'supervisor', whisper],
      ['outbound', 'agent', 'Let me look at your order'],
    ]);

    // a retry with the same clientMessageId is the same message, stored once, not delivered again
    const agentTexts: string[] = [];
    const onAgent = (m: any) => agentTexts.push(m.text);
    alice.socket.on('message', onAgent);
    const retried = await sup.ack('contact:whisper', { contactId, clientMessageId, text: whisper });
    expect(retried).toEqual(sent);
    await alice.ack('agent:state');
    alice.socket.off('message', onAgent);
    expect(agentTexts).toEqual([]);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE client_message_id = $1`, [clientMessageId]);
    expect(rows[0].n).toBe(1);
    expect(await events(contactId, 'whisper')).toHaveLength(1);

    // nothing to whisper to
    expect(await sup.ack('contact:whisper', { contactId: randomUUID(), clientMessageId: randomUUID(), text: 'hello?' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await sup.ack('contact:whisper', { contactId, clientMessageId: 'not valid!', text: 'x' })).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(visitorTexts).not.toContain(whisper);
  });

  it('contact:barge puts a message from the supervisor in front of the visitor and the agent', async () => {
    await presence(bob, 'away');
    await presence(alice, 'available');
    const { visitor, contactId } = await answered(alice, 'This is taking too long');

    const text = 'Hello, I am the team lead: I will make sure this is sorted today.';
    const clientMessageId = randomUUID();
    const visitorGets = waitForEvent(visitor.socket, 'message', (m) => m.text === text);
    const agentGets = waitForEvent(alice.socket, 'message', (m) => m.text === text);
    const sent = await sup.ack('contact:barge', { contactId, clientMessageId, text });
    expect(sent).toMatchObject({
      ok: true,
      message: { contactId, direction: 'outbound', author: { type: 'supervisor', id: ids.supervisor, name: 'Sam Supervisor' }, text, clientMessageId },
    });
    expect(await visitorGets).toMatchObject({ id: sent.message.id, author: { type: 'supervisor', name: 'Sam Supervisor' } });
    expect(await agentGets).toEqual(sent.message);
    expect(await events(contactId, 'barge_in')).toEqual([
      expect.objectContaining({ actor_type: 'supervisor', actor_id: ids.supervisor, data: { messageId: sent.message.id, agentId: ids.alice } }),
    ]);
    const got = await visitor.ack('conversation:get');
    expect(got.conversation.messages.map((m: any) => m.text)).toEqual(['This is taking too long', text]);

    // a retry: the same message, one row, one event
    const visitorTexts: string[] = [];
    visitor.socket.on('message', (m: any) => visitorTexts.push(m.text));
    expect(await sup.ack('contact:barge', { contactId, clientMessageId, text })).toEqual(sent);
    await visitor.ack('conversation:get');
    expect(visitorTexts).toEqual([]);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE client_message_id = $1`, [clientMessageId]);
    expect(rows[0].n).toBe(1);
    expect(await events(contactId, 'barge_in')).toHaveLength(1);

    // no conversation in progress: wrap-up, then closed
    expect(await alice.ack('contact:end', { contactId })).toEqual({ ok: true });
    expect(await sup.ack('contact:barge', { contactId, clientMessageId: randomUUID(), text: 'too late' })).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    expect(await alice.ack('contact:wrapup', { contactId, disposition: 'resolved' })).toEqual({ ok: true });
    const closed = await sup.ack('contact:barge', { contactId, clientMessageId: randomUUID(), text: 'too late' });
    expect(closed).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    const whisperClosed = await sup.ack('contact:whisper', { contactId, clientMessageId: randomUUID(), text: 'too late' });
    expect(whisperClosed).toMatchObject({ ok: false, error: { code: 'invalid_state' } });
    const { rows: late } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE contact_id = $1 AND body = 'too late'`, [contactId]);
    expect(late[0].n).toBe(0);
    expect(await sup.ack('contact:barge', { contactId: randomUUID(), clientMessageId: randomUUID(), text: 'anyone?' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
