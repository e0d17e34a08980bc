/**
 * npm run bench:routing [-- --rate 500 --duration 60 --agents 100 --warmup 5 --split]
 *
 * Starts the whole system (one process: API + workers; with --split, an API process and a worker
 * process, as production runs them) against DATABASE_URL (a fresh database is created on that
 * server, and dropped at the end with the run's Redis keys unless --keep-db is given) and
 * REDIS_URL, connects simulated agents over socket.io that accept every offer and finish after a
 * short random handling time (on a thread of their own: agent-desks.ts), pushes web-chat contacts at
 * a fixed rate through the public entry point (the /webchat socket), and prints one JSON line of results.
 *
 * Offer latency runs from the API receiving the customer's message (the contact's waitingSince) to
 * the offer reaching the agent's socket, stamped when the agents' thread gets to it: how late each of
 * the benchmark's two event loops ran is reported beside it (benchEventLoopDelayMs). The measured run follows a warm-up at the same rate
 * (--warmup seconds, 0 for none) whose contacts are left out of the figures: a freshly started
 * process compiles its hot code, opens its database connections and prepares its statements in the
 * first seconds, and a service that runs around the clock does that once. Midway through the warm-up
 * the database is ANALYZEd, as one in service has long been by autovacuum. The load does not pause
 * between the two: the measured run is the sustained rate, not a start from rest (README,
 * Performance). The same run also measures a bare BullMQ add-to-process hop on the same Redis, so
 * figures compare across machines as ratios.
 *
 * To find where a tail comes from: --per-second prints each measured second's offer latency (an
 * isolated slow second is a pause, a slow stretch is load); --node-args passes flags to the
 * processes under test, written without their dashes and joined by commas (--node-args
 * trace-gc,max-semi-space-size=64); --profile DIR writes their CPU profiles.
 */
import { randomUUID } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { loadConfig } from '@cc/config';
import { removeRedisKeys } from '@cc/platform';
import { auditRouting } from '@cc/routing';
import { benchArgs } from './cli';
import { cpuMsBetween, cpuSnapshot, isLocalProcess } from './cpu-time';
import type { AgentDesksInput, DesksCommand, DesksReport } from './agent-desks';
import { connect, sleep, watchLoopDelay } from './sockets';

const args = benchArgs();
const RATE = Number(args.get('rate') ?? 500);
const DURATION_S = Number(args.get('duration') ?? 60);
const AGENTS = Number(args.get('agents') ?? 100);
const CHAT_CAPACITY = Number(args.get('capacity') ?? 10);
const VISITORS = Number(args.get('visitors') ?? Math.max(500, Math.ceil(RATE * 4)));
const WARMUP_S = Number(args.get('warmup') ?? 5);
// --split runs the API and the worker as separate processes, as production does; by default one process runs both
const SPLIT = args.has('split');
/** API processes with --split; agents and visitors are spread across them, as a load balancer would */
const API_PROCESSES = Number(args.get('api-processes') ?? 1);
const HANDLE_MS: [number, number] = [100, 600];
if (!(RATE > 0 && DURATION_S > 0 && WARMUP_S >= 0)) throw new Error('--rate and --duration must be positive, --warmup zero or more');
if (!(Number.isInteger(API_PROCESSES) && API_PROCESSES >= 1) || (API_PROCESSES > 1 && !SPLIT)) throw new Error('--api-processes must be 1 or more, and more than 1 only with --split');

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};
const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A bare BullMQ hop on the same backend: add → worker starts, at the benchmark's rate. */
async function baselineQueueHop(redisUrl: string | undefined, rate: number, seconds: number) {
  if (!redisUrl) return null;
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const name = `bench-hop-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection });
  const lat: number[] = [];
  const worker = new Worker(name, async (job) => void lat.push(Date.now() - job.data.t), { connection, concurrency: 50 });
  const total = rate * seconds;
  const started = Date.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
    const adds = [];
    for (; sent < due; sent++) adds.push(queue.add('hop', { t: Date.now() }, { removeOnComplete: true }));
    await Promise.all(adds);
    await sleep(5);
  }
  const deadline = Date.now() + 10_000;
  while (lat.length < total && Date.now() < deadline) await sleep(20);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  connection.disconnect();
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Runs one statement on the server itself (creating or dropping the benchmark's database). */
async function onServer(serverUrl: string, sql: string): Promise<void> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** The Redis server's pid when it runs on this machine (its CPU is then counted), else undefined. */
async function localRedisPid(redisUrl: string | undefined): Promise<number | undefined> {
  if (!redisUrl) return undefined;
  const redis = new IORedis(redisUrl);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return isLocalProcess(pid, 'redis') ? pid : undefined;
  } finally {
    redis.disconnect();
  }
}

/** The processes under test, killed when the benchmark exits, however it ends */
const systemProcesses: ChildProcess[] = [];
process.once('exit', () => systemProcesses.forEach((p) => p.kill('SIGKILL')));
/** Drops the run's database and removes its Redis keys; set once they may exist, so a failed run leaves nothing behind either */
let removeRunData: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const config = loadConfig();
  const serverUrl = config.databaseUrl;
  if (!serverUrl) throw new Error('set DATABASE_URL (and REDIS_URL) to the servers to benchmark against');
  const dbName = `bench_${Date.now()}`;
  const queuePrefix = `bench${Date.now() % 100000}`;
  // a benchmark's database is tens of thousands of contacts, and on Redis its queues keep as many
  // finished jobs: both kept only when asked for (--keep-db), to inspect
  if (!args.has('keep-db')) {
    removeRunData = async () => {
      await onServer(serverUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      if (config.redisUrl) await removeRedisKeys(config.redisUrl, `${queuePrefix}:`);
    };
  }
  await onServer(serverUrl, `CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${dbName}`;

  log(`baseline BullMQ hop at ${RATE}/s for 10 s`);
  const baselineQueueHopMs = await baselineQueueHop(config.redisUrl, RATE, 10);

  const ports: number[] = [];
  for (let i = 0; i < (SPLIT ? API_PROCESSES : 1); i++) ports.push(await freePort());
  /** each API process's address; the first also serves the benchmark's REST calls */
  const bases = ports.map((port) => `http://127.0.0.1:${port}`);
  const base = bases[0];
  const env = {
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    HOST: '127.0.0.1',
    QUEUE_PREFIX: queuePrefix,
    LOG_LEVEL: args.get('log') ?? 'warn',
    SEED_DEMO: 'true',
    NODE_ENV: 'test',
    JWT_SECRET: 'bench-secret-bench-secret-bench',
  };
  const nodeFlags = [
    ...(args.get('profile') ? [`--cpu-prof`, `--cpu-prof-dir=${args.get('profile')}`] : []),
    ...(args.get('node-args')?.split(',').map((flag) => `--${flag}`) ?? []),
  ];
  let out = '';
  /** `port`: where the process serves HTTP (the worker serves none) */
  const start = (app: 'standalone' | 'api' | 'worker', port?: number, logLevel = env.LOG_LEVEL) => {
    const child = spawn(process.execPath, [...nodeFlags, join(__dirname, '..', '..', 'apps', app, 'src', 'main.js')], {
      // SMTP on a free port as well: every API process receives mail
      env: { ...env, ...(port === undefined ? {} : { PORT: String(port) }), SMTP_PORT: '0', LOG_LEVEL: logLevel },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (args.get('log')) process.stderr.write(d);
    });
    systemProcesses.push(child);
    return { group: app === 'standalone' ? 'system' : app, child };
  };
  // the worker says it has started at level info, and says little else there
  const apps = SPLIT
    ? [...ports.map((port) => start('api', port)), start('worker', undefined, args.get('log') ?? 'info')]
    : [start('standalone', ports[0])];
  const apisUp = new Set<string>();
  const up = () => {
    if (!SPLIT) return out.includes('Ctrl-C stops it');
    for (const b of bases) if (!apisUp.has(b)) void fetch(`${b}/health`).then((r) => r.ok && apisUp.add(b), () => undefined);
    return apisUp.size === bases.length && out.includes('worker started');
  };
  for (let i = 0; !up(); i++) {
    if (i > 300 || apps.some((a) => a.child.exitCode !== null)) throw new Error(`the system did not start:\n${out}`);
    await sleep(100);
  }
  log(`system up on ${bases.join(', ')} (${SPLIT ? `${API_PROCESSES} API and a worker process` : 'one process'}, ${config.redisUrl ? 'Redis' : 'PostgreSQL'} queues)`);

  const adminToken = (await post(`${base}/auth/login`, { email: 'admin@demo.local', password: 'admin-demo' })).accessToken;
  const queues = (await (await fetch(`${base}/admin/queues`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { id: string; name: string }[];
  const support = queues.find((q) => q.name === 'Support')!.id;

  log(`connecting ${AGENTS} agents`);
  const desksToOpen: AgentDesksInput['agents'] = [];
  for (let i = 0; i < AGENTS; i++) {
    const email = `bench-agent-${i}@bench.local`;
    await post(`${base}/admin/agents`, { email, name: `Bench ${i}`, password: 'bench-password', capacity: { chat: CHAT_CAPACITY }, queueIds: [support] }, adminToken);
    const token = (await post(`${base}/auth/login`, { email, password: 'bench-password' })).accessToken;
    desksToOpen.push({ url: `${bases[i % bases.length]}/agents`, token });
  }
  const offeredCounter = new SharedArrayBuffer(4);
  /** distinct contacts offered so far, kept by the agents' thread */
  const offeredCount = new Int32Array(offeredCounter);
  const desks = new Thread(join(__dirname, 'agent-desks.js'), {
    workerData: { agents: desksToOpen, handleMs: HANDLE_MS, offeredCounter } satisfies AgentDesksInput,
  });
  let desksFailed: Error | undefined;
  desks.on('error', (e) => (desksFailed = e));
  const desksReport = () =>
    new Promise<DesksReport>((ok, fail) => {
      if (desksFailed) return fail(desksFailed);
      desks.once('message', ok);
      desks.once('error', fail);
    });
  const toDesks = (c: DesksCommand) => desks.postMessage(c);
  await desksReport();

  log(`connecting ${VISITORS} visitors`);
  const idle: { socket: Socket }[] = [];
  for (let i = 0; i < VISITORS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, VISITORS - i) }, async (_, j) => {
        const apiBase = bases[(i + j) % bases.length];
        const { visitorToken } = await post(`${apiBase}/webchat/sessions`, {});
        const socket = await connect(`${apiBase}/webchat`, visitorToken);
        const v = { socket };
        // a visitor is free to write again once their conversation has closed
        socket.on('conversation:state', (e: { state: string }) => e.state === 'closed' && idle.push(v));
        return v;
      }),
    );
    idle.push(...batch);
  }

  const statsDb = new Client({ connectionString: serverUrl });
  await statsDb.connect();
  const commits = async () => Number((await statsDb.query(`SELECT xact_commit FROM pg_stat_database WHERE datname = $1`, [dbName])).rows[0].xact_commit);
  // CPU over the measured run, by process group: the system's processes, the database's backends
  // serving it, Redis (when on this machine) and the benchmark itself, which share the same cores
  const redisPid = await localRedisPid(config.redisUrl);
  const backendPids = async () => (await statsDb.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [dbName])).rows.map((r) => r.pid as number);
  const cpuGroups = async (): Promise<Record<string, Map<number, number>>> => ({
    ...Object.fromEntries([...new Set(apps.map((a) => a.group))].map((g) => [g, cpuSnapshot(apps.filter((a) => a.group === g).map((a) => a.child.pid!))])),
    postgres: cpuSnapshot(await backendPids()),
    ...(redisPid ? { redis: cpuSnapshot([redisPid]) } : {}),
  });

  let acked = 0;
  /**
   * Sends `seconds` of contacts at RATE, from the idle visitors; answers when the last is sent.
   * `at` runs each step once its time (seconds from the start) has come, between sends.
   */
  const push = async (seconds: number, at: { second: number; run: () => unknown }[] = []) => {
    let sent = 0;
    let starved = 0;
    const started = Date.now();
    const total = RATE * seconds;
    const steps = [...at].sort((a, b) => a.second - b.second);
    while (sent < total) {
      while (steps.length && Date.now() - started >= steps[0].second * 1000) steps.shift()!.run();
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
      for (; sent < due; sent++) {
        const v = idle.shift();
        if (!v) {
          starved++;
          continue;
        }
        v.socket
          .emitWithAck('message:send', { clientMessageId: randomUUID(), text: 'hello from the benchmark' })
          .then((a: { ok: boolean }) => a.ok && acked++, () => undefined);
      }
      await sleep(2);
    }
    return { sent, starved };
  };
  /** Waits, for at most 30 s, until every acknowledged contact has been offered. */
  const drain = async () => {
    const deadline = Date.now() + 30_000;
    while (Atomics.load(offeredCount, 0) < acked && Date.now() < deadline) await sleep(50);
  };

  // where the measured run starts: what the system has done by then is the warm-up's
  let before: { acked: number; commits: Promise<number>; cpu: ReturnType<typeof cpuGroups>; benchCpu: NodeJS.CpuUsage } | undefined;
  let measuredFrom = Infinity;
  let visitorsLoop: ReturnType<typeof watchLoopDelay> | undefined;
  const startMeasuring = () => {
    measuredFrom = Date.now();
    toDesks({ measureFrom: measuredFrom });
    visitorsLoop = watchLoopDelay();
    before = { acked, commits: commits(), cpu: cpuGroups(), benchCpu: process.cpuUsage() };
    log(`measuring: ${RATE}/s for ${DURATION_S} s`);
  };
  // A database in service has planner statistics; this one is seconds old, and without them the hot
  // path's plans assume nearly empty tables. Run while the load goes on, as autovacuum's would.
  const analyze = () => void onServer(dbUrl.toString(), 'ANALYZE').catch((e: Error) => log(`ANALYZE failed: ${e.message}`));
  if (WARMUP_S > 0) log(`warming up: ${RATE}/s for ${WARMUP_S} s, then measuring without a pause`);
  const steps = WARMUP_S > 0 ? [{ second: WARMUP_S / 2, run: analyze }, { second: WARMUP_S, run: startMeasuring }] : [{ second: 0, run: startMeasuring }];
  const { sent: sentInAll, starved } = await push(WARMUP_S + DURATION_S, steps);
  const { acked: ackedBeforeRun } = before!;
  const commitsBefore = await before!.commits;
  const pushedFor = (Date.now() - measuredFrom) / 1000;
  log(`pushed ${sentInAll - starved} in all (${starved} skipped: no idle visitor), the last ${DURATION_S} s measured; draining`);
  await drain();
  const visitorsLoopDelayMs = visitorsLoop!.stop();
  const contacts = acked - ackedBeforeRun;
  const [cpuBefore, cpuAfter] = [await before!.cpu, await cpuGroups()];
  const benchCpu = process.cpuUsage(before!.benchCpu);
  const perContact = (total: number | null) => (total === null || !contacts ? null : Math.round((total / contacts) * 100) / 100);
  const cpuMsPerContact = {
    ...Object.fromEntries(Object.entries(cpuAfter).map(([group, end]) => [group, perContact(cpuMsBetween(cpuBefore[group] ?? new Map(), end))])),
    benchmark: perContact((benchCpu.user + benchCpu.system) / 1000),
  };
  const routedFor = (Date.now() - measuredFrom) / 1000;
  // PostgreSQL publishes its counters within a second or so
  await sleep(1500);
  const commitsDuring = (await commits()) - commitsBefore;
  await statsDb.end();

  const db = new Client({ connectionString: dbUrl.toString() });
  await db.connect();
  const [{ n: stored }] = (await db.query(`SELECT count(*)::int AS n FROM messages WHERE direction = 'inbound'`)).rows;
  const audit = await auditRouting(db);
  await db.end();

  toDesks({ finish: true });
  const desksResult = await desksReport();
  if (!('bySecond' in desksResult)) throw new Error('the agents thread did not report its offers');
  const bySecond = new Map(desksResult.bySecond);
  const offered = Atomics.load(offeredCount, 0);
  idle.forEach((v) => v.socket.disconnect());
  await Promise.all(apps.map((a) => new Promise((r) => a.child.once('exit', r).kill('SIGINT'))));
  await removeRunData?.();

  if (args.has('per-second')) {
    for (const [second, latencies] of [...bySecond].sort(([a], [b]) => a - b)) {
      log(`second ${second}: ${latencies.length} offers, p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`);
    }
  }

  const offerLatency = [...bySecond.values()].flat();
  const result = {
    ratePerSec: RATE,
    processes: !SPLIT ? 'one' : API_PROCESSES === 1 ? 'api+worker' : `${API_PROCESSES} api+worker`,
    durationSec: DURATION_S,
    warmupSec: WARMUP_S,
    contacts,
    routedPerSec: Math.round(((offered - desksResult.offeredBeforeRun) / Math.max(pushedFor, routedFor)) * 10) / 10,
    offerLatencyMs: { p50: pct(offerLatency, 50), p95: pct(offerLatency, 95), p99: pct(offerLatency, 99) },
    // acknowledged but not stored; a stored contact not offered by the end of the drain still waits, and is counted apart
    lost: Math.max(0, acked - stored),
    stillWaitingAtEnd: Math.max(0, stored - offered),
    doubleAssigned: audit.doubleAssigned.length,
    capacityOverruns: audit.capacityOverruns.length,
    baselineQueueHopMs,
    // every statement outside a transaction commits on its own: a machine-independent measure of database work per contact
    dbCommitsPerContact: perContact(commitsDuring),
    // from the measured run's start until its contacts were all offered (Linux only; null elsewhere)
    cpuMsPerContact,
    // how late the benchmark's two event loops ran over the measured run: the agents' stamps the offers
    benchEventLoopDelayMs: { agents: desksResult.loopDelayMs, visitors: visitorsLoopDelayMs },
    skippedNoIdleVisitor: starved,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch(async (e) => {
  console.error(e instanceof Error ? e.stack : e);
  systemProcesses.forEach((p) => p.kill('SIGKILL'));
  await Promise.all(systemProcesses.map((p) => p.exitCode !== null || p.signalCode !== null || new Promise((r) => p.once('exit', r))));
  await removeRunData?.().catch((cleanup: Error) => log(`could not remove the run's database and keys: ${cleanup.message}`));
  process.exit(1);
});
