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
  // the suites' databases share a prefix of this run's own, so the teardown drops them and no other run's
  process.env.TEST_DATABASE_PREFIX = `cc_test_${randomBytes(3).toString('hex')}_`;
  if (process.env.DATABASE_URL) return;
  const dir = mkdtempSync(join(tmpdir(), 'cc-test-'));
  const { chmodSync } = await import('node:fs');
  chmodSync(dir, 0o777);
  const db = await startEmbeddedPostgres(dir, await freePort(), 'postgres');
  process.env.DATABASE_URL = db.url;
  (globalThis as { __embeddedDb?: typeof db }).__embeddedDb = db;
}
