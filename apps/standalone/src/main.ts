import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@cc/config';
import { closeOnSignal, composeRoot, DEMO_USERS, prepareRuntime, tuneGarbageCollection } from '@cc/platform';
import { ApiModule, configureHttpApp, HTTP_APP_OPTIONS } from '@cc/api';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WorkerModule } from '@cc/worker';
import { SmtpIngressService } from '@cc/channels/email';

/** The whole backend in one process: API and workers together, for a laptop or a small site. */
async function main(): Promise<void> {
  tuneGarbageCollection();
  const runtime = await prepareRuntime(loadConfig());
  const { config } = runtime;
  const app = await NestFactory.create<NestExpressApplication>(composeRoot(config, [ApiModule, WorkerModule]), { ...HTTP_APP_OPTIONS, bufferLogs: true });
  configureHttpApp(app, config);
  await app.listen(config.port, config.host);
  closeOnSignal(app, runtime, (m) => app.get(Logger).log(m));

  const lines = [
    '',
    `  Contact center is running${runtime.embeddedDatabase ? ' (embedded PostgreSQL in ' + config.dataDir + ')' : ''}`,
    `  queues on ${config.redisUrl ? 'Redis' : 'PostgreSQL'}`,
    '',
    `  web-chat demo     ${config.publicUrl}/`,
    `  API docs          ${config.publicUrl}/docs`,
    `  health            ${config.publicUrl}/health`,
    `  agent socket      ${config.publicUrl}/agents  (socket.io, auth: { token })`,
  ];
  const smtpPort = app.get(SmtpIngressService).port;
  if (smtpPort) lines.push(`  inbound mail      SMTP on port ${smtpPort} for ${[...config.email.addresses.keys()].join(', ')}`);
  lines.push(`  SMS webhook       ${config.publicUrl}/channels/twilio/sms${config.twilio ? '' : '  (set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)'}`);
  if (config.seedDemo) {
    lines.push('', '  demo sign-in (POST /auth/login):');
    for (const u of DEMO_USERS) lines.push(`    ${u.role.padEnd(10)} ${u.email.padEnd(24)} ${u.password}`);
  }
  lines.push('', '  Ctrl-C stops it.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
