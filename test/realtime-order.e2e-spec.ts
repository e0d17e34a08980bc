import IORedis from 'ioredis';
import { Client } from 'pg';
import type { Server } from 'socket.io';
import { RealtimeService } from '@cc/platform';
import { startApp, type TestApp } from './support/app';
import { eventually } from './support/clients';
import { AdminApi, type DeskAgent, record } from './support/routing-kit';

type Revoked = { offerId: string; contactId: string; reason: 'timeout' };

/** 120 events, every fifth over NOTIFY's 8,000-byte payload limit (those travel through a table). */
const burst = (): Revoked[] =>
  Array.from({ length: 120 }, (_, i) => ({ offerId: String(i), contactId: i % 5 === 0 ? 'x'.repeat(9000) : 'c', reason: 'timeout' }));

/**
 * Stops the cluster transport from taking new broadcasts until released: Redis refuses writes
 * (CLIENT PAUSE), or PostgreSQL's attachments table is locked, so a large event cannot be published.
 */
async function holdClusterTransport(t: TestApp): Promise<() => Promise<void>> {
  if (t.config.redisUrl) {
    const redis = new IORedis(t.config.redisUrl);
    await redis.call('CLIENT', 'PAUSE', '5000', 'WRITE');
    return async () => {
      await redis.call('CLIENT', 'UNPAUSE');
      redis.disconnect();
    };
  }
  const db = new Client({ connectionString: t.config.databaseUrl });
  await db.connect();
  await db.query('BEGIN');
  await db.query('LOCK TABLE socket_io_attachments IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await db.query('ROLLBACK');
    await db.end();
  };
}

/**
 * An agent's desk acts on events in the order they happen: an offer, then its revocation; an offer
 * revoked, then the agent set away. Whatever carries the emits between processes (Redis streams or
 * PostgreSQL NOTIFY), what one process emits must reach a socket in the order it was emitted, whether
 * the socket is connected to that process or to another.
 */
describe('socket fan-out', () => {
  let t: TestApp;
  let agent: DeskAgent;

  beforeAll(async () => {
    t = await startApp();
    agent = await (await AdminApi.signIn(t.url)).deskAgent();
  });

  afterAll(async () => {
    agent?.close();
    await t?.close();
  });

  it('delivers a burst to a socket of the emitting process in the order it was emitted', async () => {
    const received = record<Revoked>(agent.socket, 'offer:revoked');
    const sent = burst();
    for (const e of sent) void t.app.get(RealtimeService).toAgent(agent.id, 'offer:revoked', e);

    await eventually(async () => received.length === sent.length, 15_000, `all ${sent.length} events`);
    expect(received.map((e) => e.offerId)).toEqual(sent.map((e) => e.offerId));
  });

  it('delivers a burst from another process, through the cluster transport, in the order it was emitted', async () => {
    // a second emitter on the same transport, as a worker-only process has: its emits can only arrive through it
    const other = new RealtimeService(t.config);
    other.startDetached();
    try {
      const received = record<Revoked>(agent.socket, 'offer:revoked');
      const sent = burst();
      for (const e of sent) void other.toAgent(agent.id, 'offer:revoked', e);

      await eventually(async () => received.length === sent.length, 15_000, `all ${sent.length} events`);
      expect(received.map((e) => e.offerId)).toEqual(sent.map((e) => e.offerId));
    } finally {
      await other.onApplicationShutdown();
    }
  });

  it('renders no broadcast in a process with no sockets, which still reaches and counts the others', async () => {
    const other = new RealtimeService(t.config);
    other.startDetached();
    // the detached server is the service's own; its encoder renders every packet this process would deliver
    const encode = jest.spyOn((other as unknown as { server: Server }).server.encoder, 'encode');
    try {
      const received = record<Revoked>(agent.socket, 'offer:revoked');
      const fromOther = burst();
      for (const e of fromOther) void other.toAgent(agent.id, 'offer:revoked', e);
      await eventually(async () => received.length === fromOther.length, 15_000, `all ${fromOther.length} events from the socketless process`);

      // the API process's own emits reach the socketless one through the transport too
      const fromApi = burst();
      for (const e of fromApi) void t.app.get(RealtimeService).toAgent(agent.id, 'offer:revoked', e);
      await eventually(async () => received.length === fromOther.length + fromApi.length, 15_000, 'the API process’s events');
      // it still knows the API process is there: a fetchSockets across processes finds the agent's socket
      await expect(other.agentSocketCount(agent.id)).resolves.toBe(1);
      expect(encode).not.toHaveBeenCalled();
    } finally {
      await other.onApplicationShutdown();
    }
  });

  it('hands an emit to its own process’s sockets without waiting for the cluster transport', async () => {
    const received = record<Revoked>(agent.socket, 'offer:revoked');
    const release = await holdClusterTransport(t);
    try {
      // large, so that on PostgreSQL its publish needs the locked table
      void t.app.get(RealtimeService).toAgent(agent.id, 'offer:revoked', { offerId: 'while-held', contactId: 'x'.repeat(9000), reason: 'timeout' });
      await eventually(async () => received.length === 1, 3_000, 'the event while the transport is held');
      expect(received[0].offerId).toBe('while-held');
    } finally {
      await release();
    }
  });
});
