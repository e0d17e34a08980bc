import { createPostgresBackend, setDefaultBackendFactory } from 'bullmq';
import IORedis from 'ioredis';
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

/**
 * Removes every Redis key whose name starts with `prefix`: under a queue prefix, the queues' jobs
 * (finished ones are kept a day) and the socket fan-out stream. For the benchmark and the test runs,
 * which use queue prefixes of their own and would otherwise leave tens of thousands of keys behind.
 */
export async function removeRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
