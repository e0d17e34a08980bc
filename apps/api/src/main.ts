import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@cc/config';
import { closeOnSignal, composeRoot, prepareRuntime, tuneGarbageCollection } from '@cc/platform';
import { ApiModule } from './api.module';
import { configureHttpApp, HTTP_APP_OPTIONS } from './http-app';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** The API alone: HTTP and socket.io, against shared PostgreSQL (and Redis); workers run elsewhere. */
async function main(): Promise<void> {
  tuneGarbageCollection();
  const runtime = await prepareRuntime(loadConfig());
  const app = await NestFactory.create<NestExpressApplication>(composeRoot(runtime.config, [ApiModule]), { ...HTTP_APP_OPTIONS, bufferLogs: true });
  configureHttpApp(app, runtime.config);
  await app.listen(runtime.config.port, runtime.config.host);
  closeOnSignal(app, runtime, (m) => app.get(Logger).log(m));
  app.get(Logger).log(`API listening on ${runtime.config.publicUrl}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
