import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, testEnv, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, type AgentClient, type VisitorClient } from './support/clients';
import { spawnApp, type RunningProcess } from './support/processes';
import { simulateAgent } from './support/simulated-agent';
import { routingViolations } from './support/invariants';

const AGENTS = 24;
const CONTACTS = 240;

/**
 * The API in this process, the workers as separate OS processes (the built apps), all on one
 * database and queue namespace: offers reach agents only through the socket fan-out, and two
 * workers route at once.
 */
describe('API and workers in separate processes', () => {
  let env: Record<string, string>;
  let api: TestApp;
  const workers: RunningProcess[] = [];
  const agents: AgentClient[] = [];
  const visitors: VisitorClient[] = [];

  beforeAll(async () => {
    if (!existsSync(join(__dirname, '..', 'dist', 'apps', 'worker', 'src', 'main.js'))) {
      throw new Error('the built apps are missing: run `npm run build` (npm test does) before this suite');
    }
    env = await testEnv({ OFFER_TIMEOUT_SECONDS: '5', SWEEP_INTERVAL_SECONDS: '1', INBOUND_CONCURRENCY: '8' });
    api = await startApp({ env, parts: ['api'] });
  });

  afterAll(async () => {
    for (const c of [...agents, ...visitors]) c.close();
    await Promise.all(workers.map((w) => w.stop()));
    await api?.close();
  });

  it('keeps a message the API acknowledged while no worker was running, and delivers it once one starts', async () => {
    const visitor = await connectVisitor(api.url);
    visitors.push(visitor);
    expect(await visitor.say('hello, is anyone in?')).toMatchObject({ ok: true });
    const stored = async () => (await api.db.query(`SELECT count(*)::int AS n FROM messages WHERE body = 'hello, is anyone in?'`)).rows[0].n;
    expect(await stored()).toBe(0);

    workers.push(await spawnApp('worker', env, /worker started/));
    await eventually(async () => (await stored()) === 1, 20_000, 'the message to be stored by the new worker');
    await visitor.ack('conversation:leave');
  });

  it(`routes ${CONTACTS} chats to ${AGENTS} agents with two workers, one killed midway, without double offers or capacity overruns`, async () => {
    workers.push(await spawnApp('worker', env, /worker started/));
    const admin = await login(api.url, 'admin@demo.local', 'admin-demo');
    const queues = await request(api.url).get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200);
    const support = queues.body.find((q: { name: string }) => q.name === 'Support').id;

    const sims = [];
    for (let i = 0; i < AGENTS; i++) {
      const email = `load-agent-${i}@demo.local`;
      await request(api.url)
        .post('/admin/agents')
        .set('Authorization', `Bearer ${admin}`)
        .send({ email, name: `Load Agent ${i}`, password: 'load-agent-pw', capacity: { chat: 1 + (i % 3) }, queueIds: [support] })
        .expect(201);
      const agent = await connectAgent(api.url, await login(api.url, email, 'load-agent-pw'));
      agents.push(agent);
      sims.push(simulateAgent(agent, { acceptDelayMs: [0, 40], handleMs: [20, 150], reply: i % 2 === 0 }));
      expect(await agent.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
    }

    const batch = await Promise.all(Array.from({ length: CONTACTS }, () => connectVisitor(api.url)));
    visitors.push(...batch);
    const acks = await Promise.all(batch.map((v, i) => v.say(`help me with order ${i}`)));
    expect(acks.every((a) => a.ok)).toBe(true);

    // a worker dies without warning while contacts are in flight; its jobs must be picked up by the other
    await eventually(async () => (await api.db.query(`SELECT count(*)::int AS n FROM contacts WHERE state = 'closed'`)).rows[0].n >= CONTACTS / 4, 60_000);
    await workers[1].stop('SIGKILL');

    const addresses = batch.map((v) => v.visitorId);
    await eventually(
      async () => (await api.db.query(`SELECT count(*)::int AS n FROM contacts WHERE state = 'closed' AND address = ANY($1)`, [addresses])).rows[0].n === CONTACTS,
      120_000,
      'every contact to be handled and closed',
    );

    expect(await routingViolations(api.db)).toEqual([]);
    const perContact = await api.db.query(
      `SELECT c.id, (SELECT count(*)::int FROM messages m WHERE m.contact_id = c.id AND m.direction = 'inbound') AS inbound,
              (SELECT count(*)::int FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'accepted') AS accepted
         FROM contacts c WHERE c.address = ANY($1)`,
      [addresses],
    );
    expect(perContact.rows).toHaveLength(CONTACTS);
    expect(perContact.rows.filter((r) => r.inbound !== 1 || r.accepted !== 1)).toEqual([]);
    const load = await api.db.query(`SELECT sum(load)::int AS held FROM agent_capacities`);
    expect(load.rows[0].held).toBe(0);
    expect(sims.flatMap((s) => s.stats.errors)).toEqual([]);
    for (const s of sims) s.stop();
  }, 240_000);
});
