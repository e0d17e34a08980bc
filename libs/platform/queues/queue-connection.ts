import { createPostgresBackend, setDefaultBackendFactory } from 'bullmq';
import type { AppConfig } from '@cc/config';

/**
 * Chooses BullMQ's backend for this process: Redis when REDIS_URL is set, PostgreSQL otherwise.
 * Must run before any Queue or Worker is created, because the choice is process-wide.
 */
export function selectQueueBackend(config: Pick<AppConfig, 'redisUrl'>): void {
  setDefaultBackendFactory(config.redisUrl ? undefined : createPostgresBackend);
}

/** The connection options BullMQ gets, in the shape its chosen backend expects. */
export function queueConnection(config: Pick<AppConfig, 'redisUrl' | 'queuePrefix'> & { databaseUrl: string }) {
  if (config.redisUrl) {
    const url = new URL(config.redisUrl);
    return {
      connection: {
        host: url.hostname,
        port: Number(url.port || 6379),
        username: url.username || undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
        tls: url.protocol === 'rediss:' ? {} : undefined,
        maxRetriesPerRequest: null,
      },
      prefix: config.queuePrefix,
    };
  }
  // the PostgreSQL backend keeps every queue in one schema of the application's database
  return {
    connection: { connectionString: config.databaseUrl, schema: `${config.queuePrefix}_queues`, migrate: true, max: 4 },
  };
}
