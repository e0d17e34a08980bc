import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { routingChannel } from '@cc/shared';

const ROOT = join(__dirname, '..', '..');

/** Listens and prints `<contactId> <epoch ms>` for every "a contact waits" routing signal. */
const LISTENER = `
const { Client } = require('pg');
const db = new Client({ connectionString: process.env.DATABASE_URL });
db.on('notification', (n) => {
  const at = Date.now();
  try {
    for (const s of JSON.parse(n.payload).s) if (s.t === 'waiting') process.stdout.write(s.c + ' ' + at + '\\n');
  } catch {}
});
db.connect()
  .then(() => db.query('LISTEN "' + process.env.CHANNEL + '"'))
  .then(() => process.stdout.write('ready\\n'), (e) => { console.error(e.message); process.exit(1); });
process.on('SIGTERM', () => db.end().finally(() => process.exit(0)));
`;

export interface WaitingSignals {
  /** contact id → the epoch ms at which each of its "waiting" signals arrived, in order */
  arrivals: Map<string, number[]>;
  stop(): Promise<void>;
}

/**
 * Records when each contact's "waiting" signal reached a listener, which is when the transaction
 * that queued it committed (PostgreSQL delivers NOTIFY at commit), give or take delivery. The
 * database keeps no commit times, and under load a commit can come hundreds of milliseconds after
 * the transaction's last write; this is the witness for "had been waiting since". It runs in a
 * process of its own, so the test's busy event loop does not delay the timestamps.
 */
export async function recordWaitingSignals(databaseUrl: string, queuePrefix: string): Promise<WaitingSignals> {
  const child: ChildProcess = spawn(process.execPath, ['-e', LISTENER], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, CHANNEL: routingChannel(queuePrefix) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const arrivals = new Map<string, number[]>();
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the signal recorder did not start: ${errors}`)), 15_000);
    void exited.then(() => fail(new Error(`the signal recorder exited: ${errors}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        ok();
        return;
      }
      const [contactId, at] = line.split(' ');
      arrivals.set(contactId, [...(arrivals.get(contactId) ?? []), Number(at)]);
    });
  });
  return {
    arrivals,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
