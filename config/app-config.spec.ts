import { ConfigError, loadConfig } from './app-config';

/** loadConfig reads only the source it is given; every test passes its own environment. */
describe('loadConfig', () => {
  const configError = (env: Record<string, string>): ConfigError => {
    try {
      loadConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it('fills in the documented defaults from an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      dataDir: '.data',
      embeddedPostgresPort: 5488,
      queuePrefix: 'cc',
      accessTokenTtlSeconds: 12 * 3600,
      visitorTokenTtlSeconds: 90 * 24 * 3600,
      offerTimeoutMs: 30_000,
      reofferCooldownMs: 60_000,
      agentDisconnectGraceMs: 20_000,
      offerMissesBeforeAway: 3,
      sweepIntervalMs: 10_000,
      concurrency: { inbound: 256, timers: 8 },
      webchat: { defaultQueue: 'Support', allowedOrigins: '*' },
      seedDemo: true,
      logLevel: 'info',
    });
    // unset: the embedded database, the PostgreSQL queue backend and a generated local secret
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.jwtSecret).toBeUndefined();
  });

  it('does not read process.env when given a source', () => {
    const saved = process.env.PORT;
    process.env.PORT = '4321';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('takes PORT from the environment, and the public URL follows it unless set', () => {
    expect(loadConfig({ PORT: '8080' })).toMatchObject({ port: 8080, publicUrl: 'http://localhost:8080' });
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '8080', PUBLIC_URL: 'https://chat.example.com/' }).publicUrl).toBe('https://chat.example.com');
  });

  it('converts seconds to milliseconds and reads numbers and flags', () => {
    const config = loadConfig({
      OFFER_TIMEOUT_SECONDS: '1.5',
      OFFER_REOFFER_COOLDOWN_SECONDS: '0',
      AGENT_DISCONNECT_GRACE_SECONDS: '5',
      SWEEP_INTERVAL_SECONDS: '2',
      INBOUND_CONCURRENCY: '2',
      SEED_DEMO: 'no',
      QUEUE_PREFIX: 'tenant_7',
    });
    expect(config).toMatchObject({
      offerTimeoutMs: 1500,
      reofferCooldownMs: 0,
      agentDisconnectGraceMs: 5000,
      sweepIntervalMs: 2000,
      concurrency: { inbound: 2 },
      seedDemo: false,
      queuePrefix: 'tenant_7',
    });
    expect(loadConfig({ SEED_DEMO: '1' }).seedDemo).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['QUEUE_PREFIX', 'Bad!'],
    ['QUEUE_PREFIX', '1starts_with_a_digit'],
    ['QUEUE_PREFIX', 'has:colon'],
    ['OFFER_TIMEOUT_SECONDS', '0'],
    ['OFFER_TIMEOUT_SECONDS', 'soon'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['SEED_DEMO', 'maybe'],
    ['JWT_SECRET', 'too-short'],
    ['PUBLIC_URL', 'not a url'],
    ['INBOUND_CONCURRENCY', '0'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
  });

  it('does not read an empty PORT as port 0 (a random port): it is either the default or refused', () => {
    let port: number | 'refused';
    try {
      port = loadConfig({ PORT: '' }).port;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain('PORT');
      port = 'refused';
    }
    expect([3000, 'refused']).toContain(port);
  });

  it('names every bad variable at once', () => {
    const error = configError({ PORT: 'abc', QUEUE_PREFIX: 'Bad!', LOG_LEVEL: 'loud' });
    for (const name of ['PORT', 'QUEUE_PREFIX', 'LOG_LEVEL']) expect(error.message).toContain(name);
  });

  it('requires JWT_SECRET in production, and seeds no demo data there unless asked', () => {
    expect(configError({ NODE_ENV: 'production' }).message).toContain('JWT_SECRET');
    const secret = 'a-production-secret-of-some-length';
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret })).toMatchObject({ env: 'production', jwtSecret: secret, seedDemo: false });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, SEED_DEMO: 'true' }).seedDemo).toBe(true);
    // outside production a missing secret is fine: one is generated and kept locally
    expect(loadConfig({ NODE_ENV: 'test' }).jwtSecret).toBeUndefined();
  });

  it('parses WEBCHAT_ALLOWED_ORIGINS as * or a comma-separated list', () => {
    expect(loadConfig({ WEBCHAT_ALLOWED_ORIGINS: '*' }).webchat.allowedOrigins).toBe('*');
    expect(loadConfig({ WEBCHAT_ALLOWED_ORIGINS: '  *  ' }).webchat.allowedOrigins).toBe('*');
    expect(loadConfig({ WEBCHAT_ALLOWED_ORIGINS: 'https://shop.example.com' }).webchat.allowedOrigins).toEqual(['https://shop.example.com']);
    expect(loadConfig({ WEBCHAT_ALLOWED_ORIGINS: ' https://a.example.com , https://b.example.com,,  ' }).webchat.allowedOrigins).toEqual([
      'https://a.example.com',
      'https://b.example.com',
    ]);
  });

  it('reads the channel maps, lowercasing mailboxes and requiring E.164 numbers', () => {
    const c = loadConfig({ SMS_NUMBER_QUEUES: '+14155550100=Support, +14155550199=Sales', EMAIL_ADDRESSES: 'Help@Example.com=Support', SMS_WEBHOOK_SECRETS: 'acme=s3cret' });
    expect([...c.sms.numberQueues]).toEqual([['+14155550100', 'Support'], ['+14155550199', 'Sales']]);
    expect([...c.email.addresses]).toEqual([['help@example.com', 'Support']]);
    expect(c.sms.webhookSecrets.get('acme')).toBe('s3cret');
    expect(configError({ SMS_NUMBER_QUEUES: '4155550100=Support' }).message).toContain('E.164');
    expect(configError({ EMAIL_ADDRESSES: 'support+x@example.com=Support' }).message).toContain('EMAIL_ADDRESSES');
    expect(configError({ SMS_WEBHOOK_SECRETS: 'acme' }).message).toContain('not key=value');
  });

  it('takes paired settings together or not at all', () => {
    expect(configError({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` }).message).toContain('TWILIO_AUTH_TOKEN');
    expect(configError({ SMTP_AUTH_USER: 'u' }).message).toContain('SMTP_AUTH_PASSWORD');
    expect(configError({ SMTP_TLS_KEY_FILE: 'k.pem' }).message).toContain('SMTP_TLS_CERT_FILE');
    expect(loadConfig({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'token-123456' }).twilio).toEqual({
      accountSid: `AC${'a'.repeat(32)}`,
      authToken: 'token-123456',
      apiBaseUrl: undefined,
    });
  });

  it('applies overrides last', () => {
    expect(loadConfig({ PORT: '8080' }, { port: 9090, databaseUrl: 'postgres://db/x' })).toMatchObject({ port: 9090, databaseUrl: 'postgres://db/x' });
  });
});
