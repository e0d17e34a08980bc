import { DataSource } from 'typeorm';
import { Client } from 'pg';
import { dataSourceOptions } from './data-source-options';

// any constant will do; it only has to be the same in every process
const MIGRATION_LOCK = 774_201_311;

/**
 * Applies pending migrations. Several processes may start at once against one database, so the
 * migration runs under a PostgreSQL advisory lock: the first applies, the others wait and find nothing to do.
 */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const ds = new DataSource(dataSourceOptions(databaseUrl, 2));
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}
