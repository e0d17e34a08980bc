import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { loadConfig, type ResolvedConfig } from '@cc/config';
import { closeApp, composeRoot, prepareRuntime } from '@cc/platform';
import { ApiModule, configureHttpApp, HTTP_APP_OPTIONS } from '@cc/api';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WorkerModule } from '@cc/worker';
import { SmtpIngressService } from '@cc/channels/email';

/** A database of its own for one suite, on the server the run uses (DATABASE_URL, or the embedded one). */
export async function createTestDatabase(): Promise<string> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('DATABASE_URL is not set: the e2e global setup should have set it');
  const name = `${process.env.TEST_DATABASE_PREFIX ?? 'cc_test_'}${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Environment for an app under test: a fresh database, a queue prefix of its own, quiet logs, short timers. */
export async function testEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: overrides.DATABASE_URL ?? (await createTestDatabase()),
    QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX ?? 't'}${randomBytes(4).toString('hex')}`,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    OFFER_TIMEOUT_SECONDS: '30',
    SWEEP_INTERVAL_SECONDS: '2',
    AGENT_DISCONNECT_GRACE_SECONDS: '60',
    // several apps run side by side: each SMTP server takes a free port of its own
    SMTP_PORT: '0',
    ...overrides,
  };
  if (process.env.REDIS_URL && !('REDIS_URL' in overrides)) env.REDIS_URL = process.env.REDIS_URL;
  return env;
}

export interface TestApp {
  url: string;
  /** the port of the app's inbound SMTP server, null when it does not run one */
  smtpPort: number | null;
  config: ResolvedConfig;
  app: INestApplication;
  db: Client;
  close(): Promise<void>;
}

/**
 * Boots the real backend in this process (API and workers by default) against its own database,
 * listening on a free port, exactly as `npm start` composes it.
 */
export async function startApp(opts: { env?: Record<string, string>; parts?: Array<'api' | 'worker'> } = {}): Promise<TestApp> {
  const env = await testEnv(opts.env);
  const runtime = await prepareRuntime(loadConfig(env));
  const parts = opts.parts ?? ['api', 'worker'];
  const modules = [ApiModule, ...(parts.includes('worker') ? [WorkerModule] : [])];
  const app = await NestFactory.create<NestExpressApplication>(composeRoot(runtime.config, modules), { ...HTTP_APP_OPTIONS, logger: ['error', 'warn'] });
  configureHttpApp(app, runtime.config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const db = new Client({ connectionString: runtime.config.databaseUrl });
  await db.connect();
  return {
    url: `http://127.0.0.1:${address.port}`,
    smtpPort: app.get(SmtpIngressService).port,
    config: runtime.config,
    app,
    db,
    close: async () => {
      await db.end();
      await closeApp(app);
      await runtime.stop();
    },
  };
}
