import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '@cc/config';
import { closeOnSignal, composeRoot, prepareRuntime, RealtimeService, tuneGarbageCollection } from '@cc/platform';
import { WorkerModule } from './worker.module';

/** Workers alone: BullMQ processors against shared PostgreSQL (and Redis), no HTTP server. */
async function main(): Promise<void> {
  tuneGarbageCollection();
  const runtime = await prepareRuntime(loadConfig());
  const app = await NestFactory.createApplicationContext(composeRoot(runtime.config, [WorkerModule]), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.get(RealtimeService).startDetached();
  await app.init();
  closeOnSignal(app, runtime, (m) => logger.log(m));
  logger.log('worker started');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
