import { Client } from 'pg';

/** Stops the embedded server, or drops this run's databases from the server DATABASE_URL names. */
export default async function globalTeardown(): Promise<void> {
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
