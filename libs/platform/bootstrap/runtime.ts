import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppConfig, ResolvedConfig } from '@cc/config';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrations } from '../database/migrate';
import { seedDemo } from '../database/demo-seed';
import { selectQueueBackend } from '../queues/queue-connection';

export interface Runtime {
  config: ResolvedConfig;
  embeddedDatabase: boolean;
  seeded: boolean;
  /** stops what bootstrap started (the embedded database); call after the Nest app has closed */
  stop(): Promise<void>;
}

/** A development secret, generated once and kept beside the embedded database so tokens survive restarts. */
function localSecret(dataDir: string): string {
  const file = resolve(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * Everything that must happen before Nest starts: the database (embedded when DATABASE_URL is unset),
 * the queue backend, migrations, and the demo seed.
 */
export async function prepareRuntime(base: AppConfig): Promise<Runtime> {
  const embedded = base.databaseUrl ? undefined : await startEmbeddedPostgres(base.dataDir, base.embeddedPostgresPort);
  try {
    const config: ResolvedConfig = {
      ...base,
      databaseUrl: base.databaseUrl ?? embedded!.url,
      jwtSecret: base.jwtSecret ?? localSecret(base.dataDir),
    };
    selectQueueBackend(config);
    await runMigrations(config.databaseUrl);
    const seeded = config.seedDemo ? await seedDemo(config.databaseUrl) : false;
    return {
      config,
      embeddedDatabase: !!embedded,
      seeded,
      stop: async () => {
        if (embedded) await embedded.stop();
      },
    };
  } catch (e) {
    if (embedded) await embedded.stop().catch(() => undefined);
    throw e;
  }
}
