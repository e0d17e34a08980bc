import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, testEnv, type TestApp } from './support/app';
import { connectVisitor, eventually, type VisitorClient } from './support/clients';
import { routingViolations } from './support/invariants';
import { spawnApp, type RunningProcess } from './support/processes';
import { accept, AdminApi, type AgentSpec, type DeskAgent, expectEvent, finish, openContact, setAvailable } from './support/routing-kit';

const OFFER_TIMEOUT_MS = 4000;
const LEADS = /leading routing/;

/**
 * The routing leader's failover: the API in this process, two worker processes (the built app) on
 * the same database. One leads routing; killed without warning, the other takes over, rebuilds the
 * routing state from PostgreSQL, and re-arms the timers of the offers the dead leader had made.
 * The sweep that would also expire overdue offers is pushed far out, so only the new leader can.
 */
describe('routing leader failover', () => {
  let env: Record<string, string>;
  let api: TestApp;
  let admin: AdminApi;
  const workers: RunningProcess[] = [];
  const open: { close(): void }[] = [];

  const desk = async (spec: AgentSpec & { available?: boolean }): Promise<DeskAgent> => {
    const a = await admin.deskAgent(spec);
    open.push(a);
    return a;
  };
  const visitor = async (): Promise<VisitorClient> => {
    const v = await connectVisitor(api.url);
    open.push(v);
    return v;
  };
  const leaderOf = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null && LEADS.test(w.output()));

  beforeAll(async () => {
    if (!existsSync(join(__dirname, '..', 'dist', 'apps', 'worker', 'src', 'main.js'))) {
      throw new Error('the built apps are missing: run `npm run build` (npm test does) before this suite');
    }
    env = await testEnv({ OFFER_TIMEOUT_SECONDS: String(OFFER_TIMEOUT_MS / 1000), SWEEP_INTERVAL_SECONDS: '600' });
    api = await startApp({ env, parts: ['api'] });
    admin = await AdminApi.signIn(api.url);
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await Promise.all(workers.map((w) => w.stop()));
    await api?.close();
  });

  it('offers chats while the first worker leads, with a second worker standing by', async () => {
    workers.push(await spawnApp('worker', env, /worker started/));
    await eventually(async () => LEADS.test(workers[0].output()), 10_000, 'worker 1 to lead routing');
    workers.push(await spawnApp('worker', env, /worker started/));

    const queue = await admin.createQueue();
    const agent = await desk({ queueIds: [queue.id], available: true });
    const v = await visitor();
    const offer = expectEvent(agent.socket, 'offer');
    await v.say('hello from before the crash', { queue: queue.name });
    const o = await offer;
    expect(o.contactId).toBe((await openContact(api.db, v)).id);
    await accept(agent, o.offerId);
    await finish(agent, o.contactId);
    // exactly one leader: the standby has not claimed it
    expect(leaderOf()).toEqual([workers[0]]);
  });

  it('hands routing to the standby when the leader is killed, which expires the dead leader’s pending offer and re-offers it', async () => {
    const queue = await admin.createQueue();
    const slow = await desk({ queueIds: [queue.id], available: true });
    const v = await visitor();
    const offer = expectEvent(slow.socket, 'offer');
    await v.say('is anyone there?', { queue: queue.name });
    const pending = await offer;
    // a second agent comes on only now, so the contact can go to them once the first offer lapses
    const spare = await desk({ queueIds: [queue.id] });
    await setAvailable(spare);

    const [leader] = leaderOf();
    expect(leader).toBe(workers[0]);
    const standby = workers[1];
    const revoked = expectEvent(slow.socket, 'offer:revoked', (e) => e.offerId === pending.offerId, OFFER_TIMEOUT_MS + 15_000);
    const reoffer = expectEvent(spare.socket, 'offer', (o) => o.contactId === pending.contactId, OFFER_TIMEOUT_MS + 15_000);
    const killedAt = Date.now();
    await leader.stop('SIGKILL');

    await eventually(async () => LEADS.test(standby.output()), 10_000, 'the standby to take over routing');
    expect(Date.now() - killedAt).toBeLessThan(5000);

    expect(await revoked).toEqual({ offerId: pending.offerId, contactId: pending.contactId, reason: 'timeout' });
    const o = await reoffer;
    const expiry = (
      await api.db.query(
        `SELECT status, extract(epoch FROM resolved_at - expires_at) AS late FROM contact_offers WHERE id = $1`,
        [pending.offerId],
      )
    ).rows[0];
    expect(expiry.status).toBe('expired');
    // expired on its own timer (re-armed by the new leader), not seconds later by some sweep
    expect(Number(expiry.late)).toBeLessThan(1.5);
    await accept(spare, o.offerId);
    await finish(spare, o.contactId);

    const types = (await api.db.query(`SELECT type FROM contact_events WHERE contact_id = $1 ORDER BY id`, [pending.contactId])).rows.map((r) => r.type);
    expect(types).toEqual(['queued', 'offered', 'offer_timeout', 'offered', 'accepted', 'wrap_up', 'closed']);
  });

  it('keeps offering new chats under the new leader, and the record shows no double offer or capacity overrun', async () => {
    expect(leaderOf()).toEqual([workers[1]]);
    const queue = await admin.createQueue();
    const agent = await desk({ queueIds: [queue.id], available: true });
    const v = await visitor();
    const offer = expectEvent(agent.socket, 'offer');
    await v.say('hello after the crash', { queue: queue.name });
    const o = await offer;
    expect(o.contactId).toBe((await openContact(api.db, v)).id);
    await accept(agent, o.offerId);
    await finish(agent, o.contactId);

    expect(await routingViolations(api.db)).toEqual([]);
    const load = await api.db.query(`SELECT COALESCE(sum(load), 0)::int AS held FROM agent_capacities`);
    expect(load.rows[0].held).toBe(0);
  });
});
