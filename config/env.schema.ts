import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every environment variable the system reads, with its default.
 * The README's configuration table mirrors this schema; keep them in step.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** the URL customers and providers reach us at; used in links and, later, webhook signatures */
  PUBLIC_URL: z.url().optional(),
  /** unset: an embedded PostgreSQL is started with its data in DATA_DIR */
  DATABASE_URL: z.string().min(1).optional(),
  /** unset: BullMQ keeps its queues in PostgreSQL and socket.io fans out over PostgreSQL */
  REDIS_URL: z.string().min(1).optional(),
  /** connections each process keeps to PostgreSQL for its own queries (queues and fan-out add a few) */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5488),
  /** namespaces queue keys (Redis) or the queue schema (PostgreSQL); lets several deployments share one server */
  QUEUE_PREFIX: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/).default('cc'),
  /** signs agent and visitor tokens; unset outside production: generated once and kept in DATA_DIR */
  JWT_SECRET: z.string().min(16).optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(12 * 3600),
  VISITOR_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(90 * 24 * 3600),
  OFFER_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  /** an agent who rejected or missed a contact is not offered that same contact again for this long */
  OFFER_REOFFER_COOLDOWN_SECONDS: z.coerce.number().min(0).default(60),
  /** an agent whose last socket closed is set offline after this grace (a page reload keeps their state) */
  AGENT_DISCONNECT_GRACE_SECONDS: z.coerce.number().min(0).default(20),
  /**
   * a cold transfer to a named agent waits this long for them before anyone in the queue may take it;
   * a warm transfer no second agent has accepted in this time fails back to the first agent
   */
  TRANSFER_WINDOW_SECONDS: z.coerce.number().positive().default(60),
  OFFER_MISSES_BEFORE_AWAY: z.coerce.number().int().min(1).default(3),
  /** how often offers past their time are expired by a sweep (a safety net behind the routing leader's timers) */
  SWEEP_INTERVAL_SECONDS: z.coerce.number().positive().default(10),
  INBOUND_CONCURRENCY: z.coerce.number().int().min(1).default(64),
  TIMERS_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  WEBCHAT_DEFAULT_QUEUE: z.string().min(1).default('Support'),
  /** comma-separated origins allowed to embed the widget, or * */
  WEBCHAT_ALLOWED_ORIGINS: z.string().default('*'),
  /** seeds the demo organisation into an empty database; default: on, except in production */
  SEED_DEMO: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
