import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { testEnv } from './support/app';
import { connectAgent, connectVisitor, eventually, login, type AgentClient, type VisitorClient } from './support/clients';
import { spawnApp, type RunningProcess } from './support/processes';
import { simulateAgent } from './support/simulated-agent';
import { priorityViolations, routingViolations } from './support/invariants';
import { recordWaitingSignals, type WaitingSignals } from './support/signal-recorder';

const AGENTS = 110;
const CONTACTS = 2_000;
/** visitors connected at once: connect, send, disconnect, then the next batch */
const BATCH = 100;
/** one customer in five is a VIP */
const isVip = (k: number) => k % 5 === 0;
/** one contact in three goes to the queue that needs a skill only some agents have */
const queueOf = (k: number) => (k % 3 === 2 ? 'Billing' : 'Support');
/**
 * The agents come online only once this many batches wait, so VIPs and others compete for agents
 * (with agents to spare, every contact is offered at once and priority would decide nothing).
 */
const BACKLOG_BATCHES = 4;
/** an offer may miss a VIP whose "waiting" signal was still on its way to the matcher (from its commit) */
const SIGNAL_GRACE_MS = 1000;
const PRIORITY = { tiers: { vip: 1000 }, agingPerMinute: 0 };

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

/** Runs fn over items, at most `limit` at once. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : 0);

/**
 * Correctness under concurrency, with the shape production has: two API processes and two worker
 * processes (the built apps) on one database and queue namespace, 110 agents spread over both APIs,
 * 2,000 web chats arriving through both APIs into two queues with different eligibility, a fifth of
 * them VIPs. Afterwards the durable record must show every contact accepted once, no double offer,
 * no capacity overrun, no contact lost or stored twice, and routing in priority order.
 */
describe('routing under load: two APIs, two workers, 110 agents, 2,000 chats', () => {
  let env: Record<string, string>;
  let db: Client;
  let signals: WaitingSignals;
  const apis: { process: RunningProcess; url: string }[] = [];
  const workers: RunningProcess[] = [];
  const agents: AgentClient[] = [];
  const sims: ReturnType<typeof simulateAgent>[] = [];

  beforeAll(async () => {
    if (!existsSync(join(__dirname, '..', 'dist', 'apps', 'api', 'src', 'main.js'))) {
      throw new Error('the built apps are missing: run `npm run build` (npm test does) before this suite');
    }
    env = await testEnv({ SWEEP_INTERVAL_SECONDS: '1' });
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    // when each contact's queueing committed, as the router learns it (the database keeps no commit times)
    signals = await recordWaitingSignals(env.DATABASE_URL, env.QUEUE_PREFIX);
    const ports = [await freePort(), await freePort()];
    // all four at once: migrations and the demo seed are safe to race
    const [a, b, ...ws] = await Promise.all([
      ...ports.map((port) => spawnApp('api', { ...env, PORT: String(port) }, /API listening on/)),
      spawnApp('worker', env, /worker started/),
      spawnApp('worker', env, /worker started/),
    ]);
    apis.push({ process: a, url: `http://127.0.0.1:${ports[0]}` }, { process: b, url: `http://127.0.0.1:${ports[1]}` });
    workers.push(...ws);
  }, 90_000);

  afterAll(async () => {
    // a process that died during the run says why
    for (const [name, p] of [...apis.map((a, i) => [`api ${i + 1}`, a.process] as const), ...workers.map((w, i) => [`worker ${i + 1}`, w] as const)]) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) console.error(`${name} exited early (${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-4000)}`);
    }
    for (const s of sims) s.stop();
    for (const a of agents) a.close();
    await Promise.all([...apis.map((a) => a.process.stop()), ...workers.map((w) => w.stop())]);
    await signals?.stop();
    await db?.end();
  }, 60_000);

  it(
    `routes ${CONTACTS} chats exactly once each, within capacity and in priority order`,
    async () => {
      const admin = await login(apis[0].url, 'admin@demo.local', 'admin-demo');
      const auth = { Authorization: `Bearer ${admin}` };

      // Support: any member may answer; VIPs first, no ageing, so the order is exact
      const queues = await request(apis[0].url).get('/admin/queues').set(auth).expect(200);
      const support = queues.body.find((q: { name: string }) => q.name === 'Support').id as string;
      await request(apis[0].url).patch(`/admin/queues/${support}`).set(auth).send({ priorityPolicy: PRIORITY, requiredSkills: {} }).expect(200);
      // Billing: only agents with billing at level 2 or more
      const billing = (
        await request(apis[1].url)
          .post('/admin/queues')
          .set(auth)
          .send({ name: 'Billing', channels: ['chat'], requiredSkills: { billing: 2 }, priorityPolicy: PRIORITY })
          .expect(201)
      ).body.id as string;

      // skills: billing 3, billing 1 (too low for Billing), billing 5 + english, english only; chat capacity 1 to 3
      const skillsOf = (i: number) => [{ billing: 3 }, { billing: 1 }, { billing: 5, english: 4 }, { english: 5 }][i % 4];
      const setupStarted = Date.now();
      await inParallel(
        Array.from({ length: AGENTS }, (_, i) => i),
        8,
        async (i) => {
          const api = apis[i % 2].url;
          const email = `load-${i}@demo.local`;
          await request(api)
            .post('/admin/agents')
            .set(auth)
            .send({ email, name: `Load Agent ${i}`, password: 'load-agent-pw', skills: skillsOf(i), capacity: { chat: 1 + (i % 3) }, queueIds: [support, billing] })
            .expect(201);
          const agent = await connectAgent(api, await login(api, email, 'load-agent-pw'));
          agents.push(agent);
          sims.push(simulateAgent(agent, { acceptDelayMs: [0, 30], handleMs: [20, 120], reply: i % 4 === 0 }));
        },
      );
      const eligibleForBilling = Array.from({ length: AGENTS }, (_, i) => (skillsOf(i).billing ?? 0) >= 2).filter(Boolean).length;
      console.log(`routing-load: ${AGENTS} agents set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s (${eligibleForBilling} eligible for Billing)`);

      // the customers: a VIP's record exists before their first message, recognised by their visitor id
      const started = Date.now();
      const visitorIds: string[] = [];
      const vipCustomers = new Map<string, string>();
      const ackErrors: unknown[] = [];
      let backlog = { waiting: 0, vip: 0 };
      let onlineAt = new Date();
      for (let from = 0; from < CONTACTS; from += BATCH) {
        if (from === BACKLOG_BATCHES * BATCH) {
          await eventually(
            async () => (await db.query(`SELECT count(*)::int AS n FROM contacts WHERE address = ANY($1)`, [visitorIds])).rows[0].n === from,
            30_000,
            'the backlog to be stored',
          );
          backlog = (
            await db.query(
              `SELECT count(*)::int AS waiting, count(*) FILTER (WHERE cu.tier = 'vip')::int AS vip
                 FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.state = 'queued'`,
            )
          ).rows[0];
          onlineAt = new Date();
          const online = await Promise.all(agents.map((a) => a.ack('presence:set', { state: 'available' })));
          expect(online.filter((a) => !a.ok)).toEqual([]);
        }
        const ks = Array.from({ length: Math.min(BATCH, CONTACTS - from) }, (_, j) => from + j);
        const batch: VisitorClient[] = await Promise.all(ks.map((k) => connectVisitor(apis[k % 2].url)));
        const vips = ks.flatMap((k, j) => (isVip(k) ? [{ visitorId: batch[j].visitorId, customerId: randomUUID() }] : []));
        if (vips.length) {
          await db.query(
            `WITH c AS (INSERT INTO customers (id, tier) SELECT unnest($1::uuid[]), 'vip')
             INSERT INTO customer_identities (customer_id, kind, value) SELECT id, 'webchat', value FROM unnest($1::uuid[], $2::text[]) AS v(id, value)`,
            [vips.map((v) => v.customerId), vips.map((v) => v.visitorId)],
          );
          for (const v of vips) vipCustomers.set(v.visitorId, v.customerId);
        }
        const acks = await Promise.all(batch.map((v, j) => v.say(`question ${ks[j]}`, { queue: queueOf(ks[j]) })));
        ackErrors.push(...acks.filter((a) => !a.ok));
        // leaving the page closes the socket; the contact stays queued
        for (const v of batch) v.close();
        visitorIds.push(...batch.map((v) => v.visitorId));
      }
      const pushedMs = Date.now() - started;
      expect(ackErrors).toEqual([]);

      await eventually(
        async () => (await db.query(`SELECT count(*)::int AS n FROM contacts WHERE state = 'closed' AND address = ANY($1)`, [visitorIds])).rows[0].n === CONTACTS,
        150_000,
        'every contact to be routed, handled and closed',
      );
      const durationMs = Date.now() - started;

      // the summary first, so a failing run still shows it; the waits by tier and the first offers show priority at work
      const waits = await db.query(
        `SELECT q.name AS queue, cu.tier, extract(epoch FROM o.created_at - e.created_at) * 1000 AS ms
           FROM contacts c JOIN queues q ON q.id = c.queue_id JOIN customers cu ON cu.id = c.customer_id
           JOIN contact_events e ON e.contact_id = c.id AND e.type = 'queued'
           JOIN contact_offers o ON o.contact_id = c.id AND o.status = 'accepted'
          WHERE c.address = ANY($1)`,
        [visitorIds],
      );
      const groups = new Map<string, number[]>();
      for (const r of waits.rows) {
        const key = `${r.queue}/${r.tier}`;
        groups.set(key, [...(groups.get(key) ?? []), Number(r.ms)]);
      }
      const queuedAt = await db.query(
        `SELECT c.id, extract(epoch FROM e.created_at) * 1000 AS at FROM contacts c JOIN contact_events e ON e.contact_id = c.id AND e.type = 'queued'
          WHERE c.address = ANY($1)`,
        [visitorIds],
      );
      const commitLags = queuedAt.rows.flatMap((r) => (signals.arrivals.has(r.id) ? [signals.arrivals.get(r.id)![0] - Number(r.at)] : [])).sort((x, y) => x - y);
      const offers = await db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'accepted')::int AS unaccepted FROM contact_offers`);
      const firstOffers = await db.query(
        `SELECT count(*) FILTER (WHERE tier = 'vip')::int AS vip FROM (
           SELECT cu.tier FROM contact_offers o JOIN contacts c ON c.id = o.contact_id JOIN customers cu ON cu.id = c.customer_id
            WHERE o.created_at >= $1 ORDER BY o.created_at LIMIT $2) f`,
        [onlineAt, backlog.vip],
      );
      console.log(
        [
          `routing-load: ${CONTACTS} contacts (${vipCustomers.size} VIP) through 2 APIs and 2 workers to ${AGENTS} agents`,
          `  pushed in ${(pushedMs / 1000).toFixed(1)} s, all closed after ${(durationMs / 1000).toFixed(1)} s: ${((CONTACTS * 1000) / durationMs).toFixed(0)} contacts routed and handled per second`,
          `  agents came online with ${backlog.waiting} contacts waiting (${backlog.vip} VIP); the first ${backlog.vip} offers then went to ${firstOffers.rows[0].vip} VIPs`,
          `  offers: ${offers.rows[0].n} (${offers.rows[0].unaccepted} not accepted); commits seen ${percentile(commitLags, 50).toFixed(0)} ms (p50), ${percentile(commitLags, 99).toFixed(0)} ms (p99) after the 'queued' write`,
          ...[...groups.entries()].sort().map(([key, ms]) => {
            const sorted = ms.sort((x, y) => x - y);
            return `  wait to offer ${key}: n=${sorted.length} p50=${percentile(sorted, 50).toFixed(0)} ms p95=${percentile(sorted, 95).toFixed(0)} ms max=${sorted[sorted.length - 1].toFixed(0)} ms`;
          }),
        ].join('\n'),
      );

      // every visitor has exactly one contact, in the queue they asked for, on the right customer,
      // with exactly one inbound message and exactly one accepted offer
      const perContact = await db.query(
        `SELECT c.id, c.address, c.queue_id, c.customer_id, cu.tier,
                (SELECT count(*)::int FROM messages m WHERE m.contact_id = c.id AND m.direction = 'inbound') AS inbound,
                (SELECT count(*)::int FROM contact_offers o WHERE o.contact_id = c.id AND o.status = 'accepted') AS accepted
           FROM contacts c JOIN customers cu ON cu.id = c.customer_id WHERE c.address = ANY($1)`,
        [visitorIds],
      );
      expect(perContact.rows).toHaveLength(CONTACTS);
      expect(new Set(perContact.rows.map((r) => r.address)).size).toBe(CONTACTS);
      expect(perContact.rows.filter((r) => r.inbound !== 1 || r.accepted !== 1)).toEqual([]);
      const expected = new Map(visitorIds.map((v, k) => [v, { queueId: queueOf(k) === 'Billing' ? billing : support, vip: isVip(k) }]));
      const misfiled = perContact.rows.filter((r) => {
        const e = expected.get(r.address)!;
        return r.queue_id !== e.queueId || (e.vip ? r.customer_id !== vipCustomers.get(r.address) || r.tier !== 'vip' : r.tier !== 'standard');
      });
      expect(misfiled).toEqual([]);

      // Billing contacts went only to agents with the skill
      const unskilled = await db.query(
        `SELECT o.contact_id, o.agent_id FROM contact_offers o JOIN contacts c ON c.id = o.contact_id JOIN agents a ON a.user_id = o.agent_id
          WHERE c.queue_id = $1 AND COALESCE((a.skills ->> 'billing')::int, 0) < 2 LIMIT 5`,
        [billing],
      );
      expect(unskilled.rows).toEqual([]);

      expect(await routingViolations(db)).toEqual([]);
      const load = await db.query(`SELECT COALESCE(sum(load), 0)::int AS held FROM agent_capacities`);
      expect(load.rows[0].held).toBe(0);
      expect(sims.flatMap((s) => s.stats.errors)).toEqual([]);
      expect(signals.arrivals.size).toBeGreaterThanOrEqual(CONTACTS);
      expect(await priorityViolations(db, SIGNAL_GRACE_MS, signals.arrivals)).toEqual([]);
    },
    200_000,
  );
});
