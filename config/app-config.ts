import { envSchema } from './env.schema';

/** The typed configuration every module reads; built once per process by loadConfig(). */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  /** undefined until bootstrap has resolved it (embedded PostgreSQL fills it in) */
  databaseUrl?: string;
  redisUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  embeddedPostgresPort: number;
  queuePrefix: string;
  jwtSecret?: string;
  accessTokenTtlSeconds: number;
  visitorTokenTtlSeconds: number;
  offerTimeoutMs: number;
  offerMissesBeforeAway: number;
  reofferCooldownMs: number;
  transferWindowMs: number;
  agentDisconnectGraceMs: number;
  sweepIntervalMs: number;
  concurrency: { inbound: number; timers: number };
  webchat: { defaultQueue: string; allowedOrigins: string[] | '*' };
  seedDemo: boolean;
  logLevel: string;
}

/** The configuration after bootstrap: the database is known and the signing secret is set. */
export type ResolvedConfig = AppConfig & { databaseUrl: string; jwtSecret: string };

export class ConfigError extends Error {}

/**
 * Reads and validates the environment. The only place in the code base that touches process.env.
 * Throws a ConfigError naming every bad variable, so a misconfigured process stops at boot.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  // an empty variable counts as unset: PORT= must not become port 0
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) {
    throw new ConfigError('invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  }
  const origins = e.WEBCHAT_ALLOWED_ORIGINS.trim();
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    embeddedPostgresPort: e.EMBEDDED_POSTGRES_PORT,
    queuePrefix: e.QUEUE_PREFIX,
    jwtSecret: e.JWT_SECRET,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    visitorTokenTtlSeconds: e.VISITOR_TOKEN_TTL_SECONDS,
    offerTimeoutMs: Math.round(e.OFFER_TIMEOUT_SECONDS * 1000),
    offerMissesBeforeAway: e.OFFER_MISSES_BEFORE_AWAY,
    reofferCooldownMs: Math.round(e.OFFER_REOFFER_COOLDOWN_SECONDS * 1000),
    transferWindowMs: Math.round(e.TRANSFER_WINDOW_SECONDS * 1000),
    agentDisconnectGraceMs: Math.round(e.AGENT_DISCONNECT_GRACE_SECONDS * 1000),
    sweepIntervalMs: Math.round(e.SWEEP_INTERVAL_SECONDS * 1000),
    concurrency: { inbound: e.INBOUND_CONCURRENCY, timers: e.TIMERS_CONCURRENCY },
    webchat: {
      defaultQueue: e.WEBCHAT_DEFAULT_QUEUE,
      allowedOrigins: origins === '*' ? '*' : origins.split(',').map((o) => o.trim()).filter(Boolean),
    },
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    logLevel: e.LOG_LEVEL,
    ...overrides,
  };
}
