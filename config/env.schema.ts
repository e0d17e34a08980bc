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
  /**
   * inbound jobs held at once per worker: their messages are stored in batches, and a batch can only be
   * as large as what is held (at 64 and 500 messages/s, batches stopped at about 60 while the jobs
   * behind them waited in the queue; README, Performance)
   */
  INBOUND_CONCURRENCY: z.coerce.number().int().min(1).default(256),
  TIMERS_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  WEBCHAT_DEFAULT_QUEUE: z.string().min(1).default('Support'),
  /** comma-separated origins allowed to embed the widget, or * */
  WEBCHAT_ALLOWED_ORIGINS: z.string().default('*'),
  /** region assumed for phone numbers written without a country code (ISO 3166 alpha-2) */
  DEFAULT_PHONE_REGION: z.string().regex(/^[A-Z]{2}$/).default('US'),
  /** a returning customer goes to their last agent first only if their last contact closed within this window */
  REOPEN_WINDOW_SECONDS: z.coerce.number().int().min(0).default(7 * 24 * 3600),
  /** Twilio account: verifies webhook signatures and sends SMS; unset, the Twilio endpoints answer 503 */
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(8).optional(),
  /** where the Twilio REST API is reached (a regional or test endpoint); default Twilio's own */
  TWILIO_API_BASE_URL: z.url().optional(),
  /** SMS arriving on a number not listed in SMS_NUMBER_QUEUES goes to this queue */
  SMS_DEFAULT_QUEUE: z.string().min(1).default('Support'),
  /** comma-separated number=queue pairs, e.g. +14155550100=Support,+14155550101=Sales */
  SMS_NUMBER_QUEUES: z.string().default(''),
  /** the number replies come from when the contact did not record one (e.g. it came by the generic webhook) */
  SMS_FROM_NUMBER: z.string().optional(),
  /** the answer to HELP (carriers require one) */
  SMS_HELP_REPLY: z.string().min(1).default('Reply STOP to stop receiving messages, START to receive them again. Msg&data rates may apply.'),
  /** comma-separated provider=secret pairs for POST /channels/sms/:provider (HMAC-SHA256 of the raw body) */
  SMS_WEBHOOK_SECRETS: z.string().default(''),
  /** calls to a number with no menu go straight to this queue */
  VOICE_DEFAULT_QUEUE: z.string().min(1).default('Support'),
  /** what a caller on hold hears (an audio URL Twilio can fetch) */
  VOICE_HOLD_MUSIC_URL: z.url().default('http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3'),
  /** how long an agent's phone rings before the call goes back to the queue */
  VOICE_AGENT_RING_SECONDS: z.coerce.number().int().min(5).max(120).default(20),
  /** a call back the customer does not answer is tried this many times in all */
  VOICE_CALLBACK_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** comma-separated address=queue pairs: the mailboxes we accept mail for, e.g. support@example.com=Support */
  EMAIL_ADDRESSES: z.string().default('support@example.com=Support,sales@example.com=Sales'),
  /** attachments larger than this keep their name, type and size but not their content */
  EMAIL_MAX_ATTACHMENT_BYTES: z.coerce.number().int().min(0).default(5 * 1024 * 1024),
  /** the display name on replies */
  EMAIL_FROM_NAME: z.string().default('Support'),
  /** the built-in SMTP server for inbound mail; port 0 picks a free port */
  SMTP_ENABLED: bool.default(true),
  SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  SMTP_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** both set: STARTTLS is offered with this key and certificate (PEM files) */
  SMTP_TLS_KEY_FILE: z.string().optional(),
  SMTP_TLS_CERT_FILE: z.string().optional(),
  /** both set: senders must authenticate (AUTH PLAIN/LOGIN) before they may send */
  SMTP_AUTH_USER: z.string().optional(),
  SMTP_AUTH_PASSWORD: z.string().optional(),
  /** the SMTP server replies are sent through, as a URL: smtp://user:pass@host:587 or smtps://host:465 */
  SMTP_RELAY_URL: z.string().optional(),
  /** HTTP basic credentials ("user:password") the Postmark and SendGrid inbound webhooks must present */
  POSTMARK_WEBHOOK_AUTH: z.string().regex(/^[^:]+:.+$/).optional(),
  SENDGRID_WEBHOOK_AUTH: z.string().regex(/^[^:]+:.+$/).optional(),
  /** verifies Mailgun's webhook signature */
  MAILGUN_SIGNING_KEY: z.string().min(8).optional(),
  /** outbound SMS and email: tries before a message is marked failed, and the first retry's delay (doubling) */
  OUTBOUND_ATTEMPTS: z.coerce.number().int().min(1).default(6),
  OUTBOUND_BACKOFF_MS: z.coerce.number().int().min(0).default(2000),
  OUTBOUND_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  /** a contact abandoned within this many seconds of arriving counts as a short abandon, not an abandon */
  SHORT_ABANDON_SECONDS: z.coerce.number().min(0).default(5),
  /** the time zone of agents' "today" figures and of reports that name none */
  DEFAULT_TIME_ZONE: z.string().default('UTC'),
  /** seeds the demo organisation into an empty database; default: on, except in production */
  SEED_DEMO: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
