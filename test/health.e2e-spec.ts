import request from 'supertest';
import { Client } from 'pg';
import { startApp, type TestApp } from './support/app';
import { connectAgent, connectVisitor, eventually, login, waitForEvent } from './support/clients';

/**
 * Health reports what the app can reach, for real: this app's database (and only it) is made
 * unreachable, with new connections refused and the open ones terminated, as a failover or a restart
 * of PostgreSQL would; then it is given back. The process must ride this out: report 503 while it
 * lasts, never die of it, recover on its own, and still close cleanly.
 */
describe('health and API documentation', () => {
  let t: TestApp;
  let admin: Client;
  let dbName: string;
  let closed = false;

  beforeAll(async () => {
    t = await startApp();
    dbName = new URL(t.config.databaseUrl).pathname.slice(1);
    // a superuser connection to the same server, but to another database, so cutting off the app's
    // database does not cut off this one
    const server = new URL(t.config.databaseUrl);
    server.pathname = '/postgres';
    admin = new Client({ connectionString: server.toString() });
    await admin.connect();
  });
  afterAll(async () => {
    // whatever happened above, give the database back before closing the app
    await admin?.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    if (!closed) await t?.close();
  });

  const health = () => request(t.url).get('/health');

  it('is 200 with the database and the queues up', async () => {
    const res = await health().expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, queues: { status: 'up' } },
      error: {},
    });
  });

  it('answers 503 with the database reported down while the database is unreachable, and 200 again once it is back', async () => {
    // the test's own connection (t.db) is spared, so the suite can still look at the data afterwards
    const testPid = (await t.db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
    try {
      const { rows: cut } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> $2`,
        [dbName, testPid],
      );
      expect(cut.length).toBeGreaterThan(0); // the app had connections, and they are gone
      // every client the app holds now sees its connection die: one that has no 'error' listener
      // throws an uncaught exception here, which would end a real process (jest reports it as
      // "Test suite failed to run")

      const down = await eventually(
        async () => {
          const res = await health();
          return res.status === 503 ? res : null;
        },
        20_000,
        '/health to answer 503',
      );
      // the report says which part is down, in the same shape as the healthy one
      expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
      expect(down.body.info?.database).toBeUndefined();
      if (!t.config.redisUrl) {
        // without Redis the queues live in the same database, so they are down too
        expect(down.body.error.queues).toMatchObject({ status: 'down' });
      }
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
    }

    const up = await eventually(
      async () => {
        const res = await health();
        return res.status === 200 ? res : null;
      },
      30_000,
      '/health to answer 200 again',
    );
    expect(up.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, queues: { status: 'up' } }, error: {} });
  });

  it('after the outage, a visitor message still reaches an agent through the queues and sockets', async () => {
    const alice = await connectAgent(t.url, await login(t.url, 'alice@demo.local', 'agent-demo'));
    expect(await alice.ack('presence:set', { state: 'available' })).toMatchObject({ ok: true });
    const offered = waitForEvent(alice.socket, 'offer', () => true, 30_000);
    const visitor = await connectVisitor(t.url);
    expect(await visitor.say('are you back up?')).toMatchObject({ ok: true });
    const offer = await offered;
    expect(offer.messages.map((m: any) => m.text)).toEqual(['are you back up?']);
    expect(await alice.ack('offer:accept', { offerId: offer.offerId })).toMatchObject({ ok: true });
    expect(await alice.ack('contact:wrapup', { contactId: offer.contactId, disposition: 'resolved' })).toEqual({ ok: true });
    await alice.ack('presence:set', { state: 'offline' });
    alice.close();
    visitor.close();
  }, 60_000);

  it('serves the OpenAPI UI at /docs', async () => {
    const res = await request(t.url).get('/docs').redirects(1).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(/swagger-ui/i);
  });

  it('lists the REST paths in /docs-json', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/auth/login',
        '/admin/agents',
        '/admin/agents/{id}',
        '/admin/queues',
        '/admin/queues/{id}',
        '/customers',
        '/customers/{id}',
        '/customers/{id}/timeline',
        '/customers/{id}/identities',
        '/contacts/{id}',
        '/webchat/sessions',
        '/health',
      ]),
    );
    expect(Object.keys(res.body.paths['/auth/login'])).toContain('post');
    expect(Object.keys(res.body.paths['/admin/agents'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(res.body.paths['/admin/agents/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(res.body.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // the widget's HTML routes are not part of the API description
    expect(paths).not.toContain('/widget.js');
  });

  it('closes cleanly after the outage, leaving no connection to its database behind', async () => {
    closed = true;
    await t.close();
    // listed by name and state, so a failure says which part of the app left its connection open
    const { rows } = await admin.query(
      `SELECT application_name, state, backend_start, left(query, 80) AS query FROM pg_stat_activity WHERE datname = $1`,
      [dbName],
    );
    expect(rows).toEqual([]);
    await expect(request(t.url).get('/health')).rejects.toThrow(/ECONNREFUSED/);
  });
});
