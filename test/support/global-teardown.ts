import { Client } from 'pg';
import { removeRedisKeys } from '../../libs/platform/queues/queue-connection';

/**
 * Stops the embedded server, or drops this run's databases from the server DATABASE_URL names; on
 * Redis, removes this run's queue keys too (finished jobs are kept a day, so they would stay).
 */
export default async function globalTeardown(): Promise<void> {
  if (process.env.REDIS_URL && process.env.TEST_QUEUE_PREFIX) await removeRedisKeys(process.env.REDIS_URL, process.env.TEST_QUEUE_PREFIX);
  const db = (globalThis as { __embeddedDb?: { stop(): Promise<void> } }).__embeddedDb;
  if (db) return db.stop();
  const prefix = process.env.TEST_DATABASE_PREFIX;
  if (!prefix || !process.env.DATABASE_URL) return;
  const admin = new Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [prefix]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
