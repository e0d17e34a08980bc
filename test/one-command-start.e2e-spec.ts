import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { spawnApp } from './support/processes';

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

/**
 * What a new user does: start the whole backend with no database configured (so it brings its own),
 * use it, stop it with Ctrl-C, start it again and find everything where they left it.
 */
describe('npm start on a machine with no database configured', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cc-start-'));
  chmodSync(dataDir, 0o777);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('runs on embedded PostgreSQL, keeps its data across a restart, and shuts down cleanly on SIGINT', async () => {
    const port = await freePort();
    // no DATABASE_URL, REDIS_URL or JWT_SECRET: the embedded defaults must serve
    const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) };
    const url = `http://127.0.0.1:${port}`;

    const first = await spawnApp('standalone', env, /Ctrl-C stops it/);
    expect(first.output()).toContain('embedded PostgreSQL');
    expect(first.output()).toContain('admin@demo.local');
    await request(url).get('/health').expect(200);
    const admin = (await request(url).post('/auth/login').send({ email: 'admin@demo.local', password: 'admin-demo' }).expect(200)).body.accessToken;
    await request(url)
      .post('/admin/agents')
      .set('Authorization', `Bearer ${admin}`)
      .send({ email: 'carol@demo.local', name: 'Carol Agent', password: 'carol-password' })
      .expect(201);
    expect(await first.stop('SIGINT')).toBe(0);
    expect(first.output()).not.toMatch(/terminating connection|Connection terminated|ECONNREFUSED|"level":50/);

    const second = await spawnApp('standalone', env, /Ctrl-C stops it/);
    try {
      // same data, and the same signing secret: the token from before the restart still works
      const agents = await request(url).get('/admin/agents').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(agents.body.map((a: { email: string }) => a.email)).toContain('carol@demo.local');
      await request(url).post('/auth/login').send({ email: 'carol@demo.local', password: 'carol-password' }).expect(200);
      const users = agents.body.filter((a: { email: string }) => a.email === 'alice@demo.local');
      expect(users).toHaveLength(1); // the demo seed did not run twice
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
    expect(second.output()).not.toMatch(/terminating connection|Connection terminated|"level":50/);
  }, 120_000);
});
