import type { INestApplicationContext } from '@nestjs/common';
import type { Runtime } from './runtime';
import { DatabaseConnections } from '../database/database-connections';

/** Closes the app, and returns once its database connections have closed too (DatabaseConnections says why). */
export async function closeApp(app: INestApplicationContext): Promise<void> {
  const connections = app.get(DatabaseConnections);
  await app.close();
  await connections.allClosed();
}

/**
 * Ctrl-C and SIGTERM close the app first (HTTP, sockets, workers finish their jobs), then stop what
 * bootstrap started (the embedded database), so no connection is cut from under a running query.
 */
export function closeOnSignal(app: INestApplicationContext, runtime: Runtime, log: (m: string) => void): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal} received, shutting down`);
    try {
      await closeApp(app);
      await runtime.stop();
      process.exit(0);
    } catch (e) {
      log(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
