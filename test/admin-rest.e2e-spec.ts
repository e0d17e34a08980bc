import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, waitForEvent } from './support/clients';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('admin REST: agents and queues', () => {
  let t: TestApp;
  let admin: string;
  let supervisor: string;
  let agent: string;
  const queueIds: Record<string, string> = {};
  const userIds: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp();
    admin = await login(t.url, 'admin@demo.local', 'admin-demo');
    supervisor = await login(t.url, 'supervisor@demo.local', 'supervisor-demo');
    agent = await login(t.url, 'alice@demo.local', 'agent-demo');
    for (const q of (await t.db.query(`SELECT id, name FROM queues`)).rows) queueIds[q.name] = q.id;
    for (const u of (await t.db.query(`SELECT id, email FROM users`)).rows) userIds[u.email] = u.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const http = () => request(t.url);

  /** Everything the admin endpoints can change, to prove a refused request changed nothing. */
  const snapshot = async () =>
    (
      await t.db.query(`SELECT
        (SELECT json_agg(u ORDER BY u.id) FROM (SELECT id, email, name, role, active, password_hash FROM users) u) AS users,
        (SELECT json_agg(a ORDER BY a.user_id) FROM (SELECT user_id, presence, away_reason, skills FROM agents) a) AS agents,
        (SELECT json_agg(c ORDER BY c.agent_id, c.channel) FROM agent_capacities c) AS capacities,
        (SELECT json_agg(q ORDER BY q.id) FROM (SELECT id, name, channels, required_skills, active FROM queues) q) AS queues,
        (SELECT json_agg(m ORDER BY m.queue_id, m.agent_id) FROM queue_members m) AS members`)
    ).rows[0];

  const newAgent = (over: Record<string, unknown> = {}) => ({
    email: `agent-${randomUUID().slice(0, 8)}@example.com`,
    name: 'New Agent',
    password: 'long-enough-password',
    ...over,
  });

  describe('sign-in', () => {
    it('answers a wrong password exactly as an unknown email: 401 with the same message', async () => {
      const wrong = await http().post('/auth/login').send({ email: 'alice@demo.local', password: 'not-her-password' }).expect(401);
      const unknown = await http().post('/auth/login').send({ email: 'nobody@demo.local', password: 'not-her-password' }).expect(401);
      expect(wrong.body).toEqual({ statusCode: 401, error: 'unauthorized', message: expect.any(String) });
      expect(wrong.body.message).not.toMatch(/password is correct|no such user|unknown email/i);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body.accessToken).toBeUndefined();
    });

    it('signs in with the email in any case and gives the role', async () => {
      const res = await http().post('/auth/login').send({ email: 'ALICE@Demo.Local', password: 'agent-demo' }).expect(200);
      expect(res.body).toMatchObject({ role: 'agent', userId: userIds['alice@demo.local'], accessToken: expect.any(String), expiresIn: expect.any(Number) });
    });

    it('refuses a malformed sign-in body with 400 naming the field', async () => {
      const res = await http().post('/auth/login').send({ email: 'not-an-email', password: 'x' }).expect(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(/email/) });
    });
  });

  describe('access', () => {
    const routes = (id: string, queueId: string): Array<[string, string, object?]> => [
      ['get', '/admin/agents'],
      ['get', `/admin/agents/${id}`],
      ['post', '/admin/agents', newAgent()],
      ['patch', `/admin/agents/${id}`, { name: 'Hacked' }],
      ['delete', `/admin/agents/${id}`],
      ['get', '/admin/queues'],
      ['get', `/admin/queues/${queueId}`],
      ['post', '/admin/queues', { name: 'Sneaky queue' }],
      ['patch', `/admin/queues/${queueId}`, { name: 'Hacked' }],
      ['delete', `/admin/queues/${queueId}`],
    ];
    const call = (method: string, path: string, body?: object) => {
      const r = (http() as any)[method](path);
      return body ? r.send(body) : r;
    };

    it('needs a token: 401 without one, with a garbage one, or with a visitor token', async () => {
      const before = await snapshot();
      const visitor = (await http().post('/webchat/sessions').send({}).expect(200)).body.visitorToken;
      for (const [method, path, body] of routes(userIds['bob@demo.local'], queueIds.Support)) {
        const none = await call(method, path, body);
        expect([method, path, none.status, none.body.error]).toEqual([method, path, 401, 'unauthorized']);
        const garbage = await call(method, path, body).set(bearer('garbage'));
        expect([method, path, garbage.status, garbage.body.error]).toEqual([method, path, 401, 'unauthorized']);
        const asVisitor = await call(method, path, body).set(bearer(visitor));
        expect([method, path, asVisitor.status, asVisitor.body.error]).toEqual([method, path, 401, 'unauthorized']);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses agents and supervisors with 403 forbidden, and changes nothing', async () => {
      const before = await snapshot();
      for (const token of [agent, supervisor]) {
        for (const [method, path, body] of routes(userIds['bob@demo.local'], queueIds.Support)) {
          const res = await call(method, path, body).set(bearer(token));
          expect([method, path, res.status, res.body]).toEqual([method, path, 403, expect.objectContaining({ statusCode: 403, error: 'forbidden' })]);
        }
      }
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('agents', () => {
    it('creates an agent with skills, capacity and queues; it shows in the list, on its own and in the database, and can sign in', async () => {
      const res = await http()
        .post('/admin/agents')
        .set(bearer(admin))
        .send({
          email: 'Carol.Agent@Example.COM',
          name: 'Carol Agent',
          password: 'carol-password-1',
          skills: { english: 4, billing: 2 },
          capacity: { chat: 2, email: 8 },
          queueIds: [queueIds.Sales],
        });
      expect(res.status).toBe(201);
      const carol = res.body;
      expect(carol).toMatchObject({
        id: expect.stringMatching(UUID),
        email: 'carol.agent@example.com',
        name: 'Carol Agent',
        active: true,
        presence: 'offline',
        awayReason: null,
        skills: { english: 4, billing: 2 },
        capacity: { voice: 1, chat: 2, sms: 3, email: 8 },
        load: { voice: 0, chat: 0, sms: 0, email: 0 },
        queueIds: [queueIds.Sales],
      });
      expect(carol).not.toHaveProperty('password');
      expect(carol).not.toHaveProperty('passwordHash');

      const list = await http().get('/admin/agents').set(bearer(admin)).expect(200);
      expect(list.body.find((a: any) => a.id === carol.id)).toEqual(carol);
      expect(list.body.map((a: any) => a.email)).toEqual(expect.arrayContaining(['alice@demo.local', 'bob@demo.local', 'carol.agent@example.com']));
      expect((await http().get(`/admin/agents/${carol.id}`).set(bearer(admin)).expect(200)).body).toEqual(carol);

      const user = (await t.db.query(`SELECT email, name, role, active, password_hash FROM users WHERE id = $1`, [carol.id])).rows[0];
      expect(user).toMatchObject({ email: 'carol.agent@example.com', name: 'Carol Agent', role: 'agent', active: true });
      expect(user.password_hash).toMatch(/^scrypt\$/);
      expect(user.password_hash).not.toContain('carol-password-1');
      expect((await t.db.query(`SELECT skills, presence FROM agents WHERE user_id = $1`, [carol.id])).rows[0]).toEqual({
        skills: { english: 4, billing: 2 },
        presence: 'offline',
      });
      const caps = (await t.db.query(`SELECT channel, capacity, load FROM agent_capacities WHERE agent_id = $1 ORDER BY channel`, [carol.id])).rows;
      expect(caps).toEqual([
        { channel: 'chat', capacity: 2, load: 0 },
        { channel: 'email', capacity: 8, load: 0 },
        { channel: 'sms', capacity: 3, load: 0 },
        { channel: 'voice', capacity: 1, load: 0 },
      ]);
      expect((await t.db.query(`SELECT queue_id FROM queue_members WHERE agent_id = $1`, [carol.id])).rows).toEqual([{ queue_id: queueIds.Sales }]);
      expect((await http().get(`/admin/queues/${queueIds.Sales}`).set(bearer(admin)).expect(200)).body.agentIds).toContain(carol.id);

      const signIn = await http().post('/auth/login').send({ email: 'carol.agent@example.com', password: 'carol-password-1' }).expect(200);
      expect(signIn.body).toMatchObject({ role: 'agent', userId: carol.id });
    });

    it('updates name, password, skills, capacity per channel and queues; the change shows everywhere', async () => {
      const created = (await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ name: 'Dan Before', skills: { english: 3, billing: 2 }, queueIds: [queueIds.Sales] })).expect(201)).body;
      const res = await http()
        .patch(`/admin/agents/${created.id}`)
        .set(bearer(admin))
        .send({ name: 'Dan After', password: 'a-brand-new-password', skills: { english: 5, spanish: 3 }, capacity: { chat: 4, voice: 0 }, queueIds: [queueIds.Support, queueIds.Sales] })
        .expect(200);
      const expected = {
        ...created,
        name: 'Dan After',
        skills: { english: 5, spanish: 3 },
        capacity: { voice: 0, chat: 4, sms: 3, email: 5 },
        queueIds: expect.arrayContaining([queueIds.Support, queueIds.Sales]),
      };
      expect(res.body).toEqual(expected);
      expect(res.body.queueIds).toHaveLength(2);
      expect((await http().get(`/admin/agents/${created.id}`).set(bearer(admin)).expect(200)).body).toEqual(expected);
      expect((await http().get('/admin/agents').set(bearer(admin)).expect(200)).body.find((a: any) => a.id === created.id)).toEqual(expected);

      expect((await t.db.query(`SELECT u.name, a.skills FROM users u JOIN agents a ON a.user_id = u.id WHERE u.id = $1`, [created.id])).rows[0]).toEqual({
        name: 'Dan After',
        skills: { english: 5, spanish: 3 },
      });
      const caps = (await t.db.query(`SELECT channel, capacity FROM agent_capacities WHERE agent_id = $1 ORDER BY channel`, [created.id])).rows;
      expect(caps).toEqual([
        { channel: 'chat', capacity: 4 },
        { channel: 'email', capacity: 5 },
        { channel: 'sms', capacity: 3 },
        { channel: 'voice', capacity: 0 },
      ]);
      const members = (await t.db.query(`SELECT queue_id FROM queue_members WHERE agent_id = $1 ORDER BY queue_id`, [created.id])).rows.map((r) => r.queue_id);
      expect(members).toEqual([queueIds.Support, queueIds.Sales].sort());
      expect((await http().get(`/admin/queues/${queueIds.Support}`).set(bearer(admin)).expect(200)).body.agentIds).toContain(created.id);

      await http().post('/auth/login').send({ email: created.email, password: 'long-enough-password' }).expect(401);
      await http().post('/auth/login').send({ email: created.email, password: 'a-brand-new-password' }).expect(200);

      // an empty list takes the agent out of every queue; fields not sent stay as they were
      const emptied = await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ queueIds: [] }).expect(200);
      expect(emptied.body).toMatchObject({ name: 'Dan After', skills: { english: 5, spanish: 3 }, queueIds: [] });
      expect((await t.db.query(`SELECT count(*)::int AS n FROM queue_members WHERE agent_id = $1`, [created.id])).rows[0].n).toBe(0);
    });

    it('deactivates an agent: they are offline, their sockets are closed, they cannot sign in or reconnect, and their record stays', async () => {
      const created = (await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ name: 'Erin Leaving', queueIds: [queueIds.Sales] })).expect(201)).body;
      const token = await login(t.url, created.email, 'long-enough-password');
      const erin = await connectAgent(t.url, token);
      expect(await erin.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true, presence: 'available' });
      expect((await http().get(`/admin/agents/${created.id}`).set(bearer(admin)).expect(200)).body.presence).toBe('available');
      const kicked = new Promise<string>((ok) => erin.socket.once('disconnect', (reason) => ok(reason)));

      const res = await http().delete(`/admin/agents/${created.id}`).set(bearer(admin)).expect(200);
      expect(res.body).toMatchObject({ id: created.id, email: created.email, active: false, presence: 'offline' });
      expect(await kicked).toBe('io server disconnect');
      expect((await http().get(`/admin/agents/${created.id}`).set(bearer(admin)).expect(200)).body).toMatchObject({ active: false, presence: 'offline' });
      expect((await http().get('/admin/agents').set(bearer(admin)).expect(200)).body.find((a: any) => a.id === created.id)).toMatchObject({ active: false });
      const row = (await t.db.query(`SELECT u.active, a.presence FROM users u JOIN agents a ON a.user_id = u.id WHERE u.id = $1`, [created.id])).rows[0];
      expect(row).toEqual({ active: false, presence: 'offline' });

      // the right password no longer works, and the answer gives nothing away
      const refused = await http().post('/auth/login').send({ email: created.email, password: 'long-enough-password' }).expect(401);
      const wrong = await http().post('/auth/login').send({ email: 'alice@demo.local', password: 'wrong-password' }).expect(401);
      expect(refused.body).toEqual(wrong.body);

      // the token issued before cannot open a socket again
      const reconnect = await new Promise<any>((ok) => {
        const s = io(`${t.url}/agents`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
        s.on('connect', () => {
          s.disconnect();
          ok({ connected: true });
        });
        s.on('connect_error', (e: any) => ok({ data: e.data }));
      });
      expect(reconnect).toEqual({ data: { code: 'forbidden' } });
      expect((await t.db.query(`SELECT presence FROM agents WHERE user_id = $1`, [created.id])).rows[0].presence).toBe('offline');
    });

    it('refuses to lower a capacity below what the agent holds now (409), and applies a raise at once', async () => {
      const lab = (await http().post('/admin/queues').set(bearer(admin)).send({ name: 'Capacity Lab', channels: ['chat'] }).expect(201)).body;
      const created = (await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ name: 'Fay Busy', capacity: { chat: 0 }, queueIds: [lab.id] })).expect(201)).body;
      const fay = await connectAgent(t.url, await login(t.url, created.email, 'long-enough-password'));
      expect(await fay.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });

      const visitor = await connectVisitor(t.url);
      const offered = waitForEvent(fay.socket, 'offer');
      expect(await visitor.say('hello capacity lab', { queue: 'Capacity Lab' })).toMatchObject({ ok: true });
      await eventually(async () => (await t.db.query(`SELECT 1 FROM contacts WHERE address = $1 AND state = 'queued'`, [visitor.visitorId])).rowCount === 1);

      // with a chat capacity of 0 nobody can take it; raising it to 1 brings the offer
      await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ capacity: { chat: 1 } }).expect(200);
      const offer = await offered;
      expect(offer.queue).toEqual({ id: lab.id, name: 'Capacity Lab' });
      expect((await http().get(`/admin/agents/${created.id}`).set(bearer(admin)).expect(200)).body.load.chat).toBe(1);

      const capacityRow = async () => (await t.db.query(`SELECT capacity, load FROM agent_capacities WHERE agent_id = $1 AND channel = 'chat'`, [created.id])).rows[0];
      // while offered
      const whileOffered = await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ name: 'Fay Renamed', capacity: { chat: 0 } }).expect(409);
      expect(whileOffered.body).toMatchObject({ statusCode: 409, error: 'conflict', message: expect.stringMatching(/chat/) });
      expect(await capacityRow()).toEqual({ capacity: 1, load: 1 });
      // the whole change was refused, not just the capacity
      expect((await t.db.query(`SELECT name FROM users WHERE id = $1`, [created.id])).rows[0].name).toBe('Fay Busy');

      // while active
      expect(await fay.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true, contact: { state: 'active' } });
      const whileActive = await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ capacity: { chat: 0 } }).expect(409);
      expect(whileActive.body).toMatchObject({ error: 'conflict', message: expect.stringMatching(/chat/) });
      expect(await capacityRow()).toEqual({ capacity: 1, load: 1 });
      // down to exactly the load is fine, and other channels are independent
      await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ capacity: { chat: 1, email: 0 } }).expect(200);

      // once the contact is closed the capacity may go to 0
      expect(await fay.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
      expect(await capacityRow()).toEqual({ capacity: 1, load: 0 });
      const lowered = await http().patch(`/admin/agents/${created.id}`).set(bearer(admin)).send({ capacity: { chat: 0 } }).expect(200);
      expect(lowered.body).toMatchObject({ capacity: { chat: 0, email: 0 }, load: { chat: 0 } });

      await fay.ack('presence:set', { state: 'offline' });
      fay.close();
      visitor.close();
    });

    it('refuses bad agent bodies with 400 validation_failed naming the field, and stores nothing', async () => {
      const bob = userIds['bob@demo.local'];
      const cases: Array<[string, string, object, RegExp]> = [
        ['post', '/admin/agents', newAgent({ role: 'admin' }), /\brole\b/],
        ['post', '/admin/agents', newAgent({ email: 'not-an-email' }), /\bemail\b/],
        ['post', '/admin/agents', newAgent({ password: 'short' }), /\bpassword\b/],
        ['post', '/admin/agents', newAgent({ name: '' }), /\bname\b/],
        ['post', '/admin/agents', { email: 'x@example.com', password: 'long-enough-password' }, /\bname\b/],
        ['post', '/admin/agents', newAgent({ skills: { english: 7 } }), /\bskills\b/],
        ['post', '/admin/agents', newAgent({ skills: { english: 0 } }), /\bskills\b/],
        ['post', '/admin/agents', newAgent({ skills: { 'bad skill!': 3 } }), /\bskills\b/],
        ['post', '/admin/agents', newAgent({ skills: [1, 2] }), /\bskills\b/],
        ['post', '/admin/agents', newAgent({ capacity: { chat: -1 } }), /capacity\.chat/],
        ['post', '/admin/agents', newAgent({ capacity: { chat: 2.5 } }), /capacity\.chat/],
        ['post', '/admin/agents', newAgent({ capacity: { fax: 1 } }), /capacity\.fax/],
        ['post', '/admin/agents', newAgent({ queueIds: ['not-a-uuid'] }), /\bqueueIds\b/],
        ['post', '/admin/agents', newAgent({ queueIds: [queueIds.Support, queueIds.Support] }), /\bqueueIds\b/],
        ['patch', `/admin/agents/${bob}`, { nickname: 'Bobby' }, /\bnickname\b/],
        ['patch', `/admin/agents/${bob}`, { email: 'bob2@example.com' }, /\bemail\b/],
        ['patch', `/admin/agents/${bob}`, { skills: { english: 7 } }, /\bskills\b/],
        ['patch', `/admin/agents/${bob}`, { capacity: { chat: -1 } }, /capacity\.chat/],
        ['patch', `/admin/agents/${bob}`, { password: 'short' }, /\bpassword\b/],
        ['patch', `/admin/agents/${bob}`, { active: 'yes' }, /\bactive\b/],
        ['patch', `/admin/agents/${bob}`, { name: 'Bob Changed', queueIds: 'Support' }, /\bqueueIds\b/],
      ];
      const before = await snapshot();
      for (const [method, path, body, field] of cases) {
        const res = await (http() as any)[method](path).set(bearer(admin)).send(body);
        expect([method, body, res.status, res.body.error]).toEqual([method, body, 400, 'validation_failed']);
        expect([body, res.body.message]).toEqual([body, expect.stringMatching(field)]);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses an email that is already taken, in any case, with 409 conflict', async () => {
      const before = await snapshot();
      const res = await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ email: 'ALICE@demo.local' })).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'conflict', message: expect.stringMatching(/alice@demo\.local/) });
      // staff who are not agents hold their email too
      await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ email: 'supervisor@demo.local' })).expect(409);
      expect(await snapshot()).toEqual(before);
    });

    it('answers 404 for an agent id that does not exist, and changes nothing', async () => {
      const before = await snapshot();
      const ghost = randomUUID();
      for (const [method, body] of [['get'], ['patch', { name: 'Ghost' }], ['delete']] as const) {
        const res = await (http() as any)[method](`/admin/agents/${ghost}`).set(bearer(admin)).send(body);
        expect([method, res.status, res.body.error]).toEqual([method, 404, 'not_found']);
      }
      // a queue's id is not an agent's id
      await http().get(`/admin/agents/${queueIds.Support}`).set(bearer(admin)).expect(404);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a path id that is not a UUID with 400 validation_failed naming the id', async () => {
      const before = await snapshot();
      for (const [method, path] of [
        ['get', '/admin/agents/not-a-uuid'],
        ['patch', '/admin/agents/12345'],
        ['delete', '/admin/agents/bob'],
        ['get', '/admin/queues/support'],
        ['patch', '/admin/queues/1'],
        ['delete', '/admin/queues/xyz'],
      ]) {
        const res = await (http() as any)[method](path).set(bearer(admin)).send(method === 'patch' ? { name: 'x' } : undefined);
        expect([method, path, res.status, res.body.error]).toEqual([method, path, 400, 'validation_failed']);
        expect([path, res.body.message]).toEqual([path, expect.stringMatching(/\bid\b/)]);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a queue id that does not exist with 400, creating or changing nothing', async () => {
      const before = await snapshot();
      const email = `ghost-queue-${randomUUID().slice(0, 8)}@example.com`;
      const create = await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ email, queueIds: [randomUUID()] }));
      expect([create.status, create.body.error]).toEqual([400, 'validation_failed']);
      expect(create.body.message).toMatch(/queue/i);
      const update = await http().patch(`/admin/agents/${userIds['bob@demo.local']}`).set(bearer(admin)).send({ name: 'Bob Half-Changed', queueIds: [randomUUID()] });
      expect([update.status, update.body.error]).toEqual([400, 'validation_failed']);
      expect(update.body.message).toMatch(/queue/i);
      // nothing of either request was kept: no half-created agent, no half-applied change
      expect((await t.db.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email])).rows[0].n).toBe(0);
      expect((await t.db.query(`SELECT name FROM users WHERE email = 'bob@demo.local'`)).rows[0].name).toBe('Bob Agent');
      expect(await snapshot()).toEqual(before);
      // and the refused email is still free
      await http().post('/admin/agents').set(bearer(admin)).send(newAgent({ email })).expect(201);
    });
  });

  describe('queues', () => {
    it('creates a queue with channels, required skills and agents; it shows in the list, on its own, on its agents and in the database', async () => {
      const bob = userIds['bob@demo.local'];
      const res = await http()
        .post('/admin/queues')
        .set(bearer(admin))
        .send({ name: 'Billing', channels: ['chat', 'email'], requiredSkills: { billing: 2 }, agentIds: [bob] })
        .expect(201);
      const billing = res.body;
      expect(billing).toMatchObject({ id: expect.stringMatching(UUID), name: 'Billing', channels: ['chat', 'email'], requiredSkills: { billing: 2 }, active: true, agentIds: [bob] });
      expect((await http().get('/admin/queues').set(bearer(admin)).expect(200)).body.find((q: any) => q.id === billing.id)).toEqual(billing);
      expect((await http().get(`/admin/queues/${billing.id}`).set(bearer(admin)).expect(200)).body).toEqual(billing);
      expect((await http().get(`/admin/agents/${bob}`).set(bearer(admin)).expect(200)).body.queueIds).toEqual(expect.arrayContaining([queueIds.Support, billing.id]));
      expect((await t.db.query(`SELECT name, channels, required_skills, active FROM queues WHERE id = $1`, [billing.id])).rows[0]).toEqual({
        name: 'Billing',
        channels: ['chat', 'email'],
        required_skills: { billing: 2 },
        active: true,
      });
      expect((await t.db.query(`SELECT agent_id FROM queue_members WHERE queue_id = $1`, [billing.id])).rows).toEqual([{ agent_id: bob }]);

      // defaults: every channel, no skills, no agents
      const plain = (await http().post('/admin/queues').set(bearer(admin)).send({ name: 'Plain' }).expect(201)).body;
      expect(plain).toMatchObject({ name: 'Plain', channels: ['chat', 'sms', 'email', 'voice'], requiredSkills: {}, active: true, agentIds: [] });
    });

    it('updates name, channels, required skills and agents; the change shows on the queue, its agents and in the database', async () => {
      const [alice, bob] = [userIds['alice@demo.local'], userIds['bob@demo.local']];
      const q = (await http().post('/admin/queues').set(bearer(admin)).send({ name: 'Returns', channels: ['chat'], agentIds: [bob] }).expect(201)).body;
      const res = await http()
        .patch(`/admin/queues/${q.id}`)
        .set(bearer(admin))
        .send({ name: 'Returns & Refunds', channels: ['email', 'sms'], requiredSkills: { refunds: 3 }, agentIds: [alice] })
        .expect(200);
      const expected = { id: q.id, name: 'Returns & Refunds', channels: ['email', 'sms'], requiredSkills: { refunds: 3 }, active: true, agentIds: [alice] };
      expect(res.body).toMatchObject(expected);
      expect((await http().get(`/admin/queues/${q.id}`).set(bearer(admin)).expect(200)).body).toEqual(res.body);
      expect((await http().get(`/admin/agents/${alice}`).set(bearer(admin)).expect(200)).body.queueIds).toContain(q.id);
      expect((await http().get(`/admin/agents/${bob}`).set(bearer(admin)).expect(200)).body.queueIds).not.toContain(q.id);
      expect((await t.db.query(`SELECT name, channels, required_skills FROM queues WHERE id = $1`, [q.id])).rows[0]).toEqual({
        name: 'Returns & Refunds',
        channels: ['email', 'sms'],
        required_skills: { refunds: 3 },
      });

      // only what is sent changes
      const renamed = await http().patch(`/admin/queues/${q.id}`).set(bearer(admin)).send({ name: 'Returns' }).expect(200);
      expect(renamed.body).toEqual({ ...res.body, name: 'Returns' });
      // renaming to its own name in another case is not a conflict
      await http().patch(`/admin/queues/${q.id}`).set(bearer(admin)).send({ name: 'RETURNS' }).expect(200);
    });

    it('deactivates a queue: it stays listed as inactive and takes no new web chats', async () => {
      const q = (await http().post('/admin/queues').set(bearer(admin)).send({ name: 'Seasonal', channels: ['chat'] }).expect(201)).body;
      const visitor = await connectVisitor(t.url);
      expect(await visitor.say('before closing', { queue: 'Seasonal' })).toMatchObject({ ok: true });
      await eventually(async () => (await t.db.query(`SELECT 1 FROM contacts WHERE address = $1 AND queue_id = $2`, [visitor.visitorId, q.id])).rowCount === 1);

      const res = await http().delete(`/admin/queues/${q.id}`).set(bearer(admin)).expect(200);
      expect(res.body).toMatchObject({ id: q.id, name: 'Seasonal', active: false });
      expect((await http().get('/admin/queues').set(bearer(admin)).expect(200)).body.find((x: any) => x.id === q.id)).toMatchObject({ active: false });
      expect((await t.db.query(`SELECT active FROM queues WHERE id = $1`, [q.id])).rows[0].active).toBe(false);

      const late = await connectVisitor(t.url);
      expect(await late.say('too late?', { queue: 'Seasonal' })).toMatchObject({ ok: false, error: { code: 'unknown_queue' } });
      // the contact already waiting is still there
      expect((await t.db.query(`SELECT state FROM contacts WHERE address = $1`, [visitor.visitorId])).rows[0].state).toBe('queued');
      await visitor.ack('conversation:leave');
      visitor.close();
      late.close();
    });

    it('refuses bad queue bodies with 400 validation_failed naming the field, and stores nothing', async () => {
      const cases: Array<[string, string, object, RegExp]> = [
        ['post', '/admin/queues', { name: 'Fax line', channels: ['fax'] }, /\bchannels\b/],
        ['post', '/admin/queues', { name: 'Dupes', channels: ['chat', 'chat'] }, /\bchannels\b/],
        ['post', '/admin/queues', { name: '' }, /\bname\b/],
        ['post', '/admin/queues', {}, /\bname\b/],
        ['post', '/admin/queues', { name: 'x'.repeat(81) }, /\bname\b/],
        ['post', '/admin/queues', { name: 'Skills', requiredSkills: { billing: 6 } }, /\brequiredSkills\b/],
        ['post', '/admin/queues', { name: 'Agents', agentIds: ['bob'] }, /\bagentIds\b/],
        ['post', '/admin/queues', { name: 'Colour', color: 'red' }, /\bcolor\b/],
        ['patch', `/admin/queues/${queueIds.Support}`, { channels: ['fax'] }, /\bchannels\b/],
        ['patch', `/admin/queues/${queueIds.Support}`, { active: 'no' }, /\bactive\b/],
        ['patch', `/admin/queues/${queueIds.Support}`, { priority: 3 }, /\bpriority\b/],
      ];
      const before = await snapshot();
      for (const [method, path, body, field] of cases) {
        const res = await (http() as any)[method](path).set(bearer(admin)).send(body);
        expect([method, body, res.status, res.body.error]).toEqual([method, body, 400, 'validation_failed']);
        expect([body, res.body.message]).toEqual([body, expect.stringMatching(field)]);
      }
      // an agent id that is no agent: refused as a whole
      for (const req of [
        http().post('/admin/queues').set(bearer(admin)).send({ name: 'Ghost agents', agentIds: [randomUUID()] }),
        http().patch(`/admin/queues/${queueIds.Support}`).set(bearer(admin)).send({ name: 'Support renamed', agentIds: [randomUUID()] }),
      ]) {
        const res = await req;
        expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
        expect(res.body.message).toMatch(/agent/i);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a queue name that is taken, in any case, with 409 conflict', async () => {
      const before = await snapshot();
      const create = await http().post('/admin/queues').set(bearer(admin)).send({ name: 'support' }).expect(409);
      expect(create.body).toMatchObject({ statusCode: 409, error: 'conflict', message: expect.stringMatching(/support/i) });
      const rename = await http().patch(`/admin/queues/${queueIds.Sales}`).set(bearer(admin)).send({ name: 'SUPPORT' }).expect(409);
      expect(rename.body).toMatchObject({ error: 'conflict' });
      const ghost = await http().get(`/admin/queues/${randomUUID()}`).set(bearer(admin)).expect(404);
      expect(ghost.body).toMatchObject({ error: 'not_found' });
      expect(await snapshot()).toEqual(before);
    });
  });
});
