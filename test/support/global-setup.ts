import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres } from '../../libs/platform/database/embedded-postgres';

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

/**
 * The e2e suites need a PostgreSQL server: DATABASE_URL's when set, otherwise an embedded one for
 * this run. Each suite then creates its own database on it (see test/support/app.ts), which the
 * teardown drops.
 */
export default async function globalSetup(): Promise<void> {
  // the suites' databases, and their apps' queue prefixes, share a prefix of this run's own, so the
  // teardown drops them (and, on Redis, the queues' keys) and no other run's
  const run = randomBytes(3).toString('hex');
  process.env.TEST_DATABASE_PREFIX = `cc_test_${run}_`;
  process.env.TEST_QUEUE_PREFIX = `t${run}_`;
  if (process.env.DATABASE_URL) return;
  const dir = mkdtempSync(join(tmpdir(), 'cc-test-'));
  const { chmodSync } = await import('node:fs');
  chmodSync(dir, 0o777);
  const db = await startEmbeddedPostgres(dir, await freePort(), 'postgres');
  process.env.DATABASE_URL = db.url;
  (globalThis as { __embeddedDb?: typeof db }).__embeddedDb = db;
}
