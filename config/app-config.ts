import { IANAZone } from 'luxon';
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
  defaultPhoneRegion: string;
  reopenWindowSeconds: number;
  /** unset: the Twilio endpoints answer 503 and no SMS can be sent */
  twilio?: { accountSid: string; authToken: string; apiBaseUrl?: string };
  sms: {
    defaultQueue: string;
    /** E.164 number → queue name */
    numberQueues: Map<string, string>;
    fromNumber?: string;
    helpReply: string;
    /** provider name → shared secret */
    webhookSecrets: Map<string, string>;
  };
  email: {
    /** lowercased mailbox → queue name; the first is the default sender */
    addresses: Map<string, string>;
    maxAttachmentBytes: number;
    fromName: string;
    relayUrl?: string;
    postmarkAuth?: string;
    sendgridAuth?: string;
    mailgunSigningKey?: string;
  };
  smtp: {
    enabled: boolean;
    port: number;
    maxMessageBytes: number;
    tls?: { keyFile: string; certFile: string };
    auth?: { user: string; password: string };
  };
  outbound: { attempts: number; backoffMs: number; concurrency: number };
  shortAbandonSeconds: number;
  defaultTimeZone: string;
  voice: { defaultQueue: string; holdMusicUrl: string; agentRingSeconds: number; callbackAttempts: number };
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
  if (!IANAZone.isValidZone(e.DEFAULT_TIME_ZONE)) throw new ConfigError(`invalid configuration: DEFAULT_TIME_ZONE: "${e.DEFAULT_TIME_ZONE}" is not an IANA time zone`);
  const numberQueues = pairs('SMS_NUMBER_QUEUES', e.SMS_NUMBER_QUEUES, (k) => /^\+[1-9]\d{5,14}$/.test(k), 'an E.164 number such as +14155550100');
  const addresses = pairs('EMAIL_ADDRESSES', e.EMAIL_ADDRESSES, (k) => /^[^@\s+]+@[^@\s]+\.[^@\s]+$/.test(k), 'a mailbox such as support@example.com, without a +tag');
  if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_AUTH_TOKEN)) {
    throw new ConfigError('invalid configuration: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set together or not at all');
  }
  if (Boolean(e.SMTP_TLS_KEY_FILE) !== Boolean(e.SMTP_TLS_CERT_FILE)) {
    throw new ConfigError('invalid configuration: SMTP_TLS_KEY_FILE and SMTP_TLS_CERT_FILE are set together or not at all');
  }
  if (Boolean(e.SMTP_AUTH_USER) !== Boolean(e.SMTP_AUTH_PASSWORD)) {
    throw new ConfigError('invalid configuration: SMTP_AUTH_USER and SMTP_AUTH_PASSWORD are set together or not at all');
  }
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
    defaultPhoneRegion: e.DEFAULT_PHONE_REGION,
    reopenWindowSeconds: e.REOPEN_WINDOW_SECONDS,
    twilio: e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, apiBaseUrl: e.TWILIO_API_BASE_URL } : undefined,
    sms: {
      defaultQueue: e.SMS_DEFAULT_QUEUE,
      numberQueues,
      fromNumber: e.SMS_FROM_NUMBER,
      helpReply: e.SMS_HELP_REPLY,
      webhookSecrets: pairs('SMS_WEBHOOK_SECRETS', e.SMS_WEBHOOK_SECRETS, (k) => /^[a-z0-9_-]+$/.test(k), 'a provider name of lowercase letters, digits, - and _'),
    },
    email: {
      addresses,
      maxAttachmentBytes: e.EMAIL_MAX_ATTACHMENT_BYTES,
      fromName: e.EMAIL_FROM_NAME,
      relayUrl: e.SMTP_RELAY_URL,
      postmarkAuth: e.POSTMARK_WEBHOOK_AUTH,
      sendgridAuth: e.SENDGRID_WEBHOOK_AUTH,
      mailgunSigningKey: e.MAILGUN_SIGNING_KEY,
    },
    smtp: {
      enabled: e.SMTP_ENABLED,
      port: e.SMTP_PORT,
      maxMessageBytes: e.SMTP_MAX_MESSAGE_BYTES,
      tls: e.SMTP_TLS_KEY_FILE && e.SMTP_TLS_CERT_FILE ? { keyFile: e.SMTP_TLS_KEY_FILE, certFile: e.SMTP_TLS_CERT_FILE } : undefined,
      auth: e.SMTP_AUTH_USER && e.SMTP_AUTH_PASSWORD ? { user: e.SMTP_AUTH_USER, password: e.SMTP_AUTH_PASSWORD } : undefined,
    },
    outbound: { attempts: e.OUTBOUND_ATTEMPTS, backoffMs: e.OUTBOUND_BACKOFF_MS, concurrency: e.OUTBOUND_CONCURRENCY },
    shortAbandonSeconds: e.SHORT_ABANDON_SECONDS,
    defaultTimeZone: e.DEFAULT_TIME_ZONE,
    voice: { defaultQueue: e.VOICE_DEFAULT_QUEUE, holdMusicUrl: e.VOICE_HOLD_MUSIC_URL, agentRingSeconds: e.VOICE_AGENT_RING_SECONDS, callbackAttempts: e.VOICE_CALLBACK_ATTEMPTS },
    ...overrides,
  };
}

/** Parses "key=value,key=value"; every key must pass the check. */
function pairs(variable: string, raw: string, validKey: (key: string) => boolean, expected: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const item of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    // keys are addresses, numbers and names matched without regard to case
    const key = item.slice(0, at).trim().toLowerCase();
    const value = item.slice(at + 1).trim();
    if (at <= 0 || !value) throw new ConfigError(`invalid configuration: ${variable}: "${item}" is not key=value`);
    if (!validKey(key)) throw new ConfigError(`invalid configuration: ${variable}: "${key}" is not ${expected}`);
    result.set(key, value);
  }
  return result;
}
