import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Client, type Notification } from 'pg';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { type Channel, type OfferView, type RoutingSignal, routingChannel } from '@cc/shared';
import { describeError, InjectConfig, JobsService, RealtimeService } from '@cc/platform';
import { ContactLifecycleService } from '../contact-lifecycle.service';
import { CustomerChannelService } from '../customer-channel.service';
import { describeNextOpening, isOpenAt, openSpansBetween } from '@cc/calendars';
import { dueForAfterHours, dueForOverflow, matchWaiting, priorityScore, type QueueHours } from './matching';
import type { AgentState, QueuePolicy, WaitingItem } from './routing-model';
import { RoutingStore } from './routing-store';
import { TxSnapshot } from './tx-snapshot';

// any constant will do; every worker process of one database competes for it
const LEADER_LOCK = 774_201_312;
const ELECTION_RETRY_MS = 1_000;
/** ageing, steps, stickiness and overflow depend on time passing: re-match at least this often */
const TIME_TICK_MS = 1_000;
/** a full reload now and then heals any drift between memory and the database */
const FULL_RELOAD_MS = 60_000;
const POSITION_FLUSH_MS = 1_000;
/** a waiting customer hears of a new place in the queue at most this often */
const POSITION_EVERY_MS = 5_000;
/** how long a queue's open/closed state is trusted before the calendar is asked again */
const HOURS_TTL_MS = 1_000;
const DEFAULT_AFTER_HOURS_MESSAGE = "We're closed right now. We're back {opening}, and we'll answer you then.";

/**
 * The routing engine's single active matcher. Every worker process runs one of these; the one that
 * holds a PostgreSQL advisory lock leads, the others stand by and take over within a second when the
 * leader's session ends. The leader keeps queues, agents and waiting contacts in memory (rebuilt from
 * PostgreSQL on takeover), learns of changes through NOTIFY signals sent from the transactions that
 * made them, matches in passes, and writes each pass's offers in one statement.
 */
@Injectable()
export class RoutingLeaderService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RoutingLeader');
  private readonly store: RoutingStore;
  private client?: Client;
  private leading = false;
  private stopped = false;
  private electionTimer?: NodeJS.Timeout;
  private intervals: NodeJS.Timeout[] = [];

  private queues = new Map<string, QueuePolicy>();
  private agents = new Map<string, AgentState>();
  private waiting = new Map<string, WaitingItem>();
  private offerTimers = new Map<string, NodeJS.Timeout>();
  /** offers made per queue, recent times: the basis of the estimated wait */
  private dequeues = new Map<string, number[]>();
  /** contacts whose after-hours action has been applied (the database remembers it across leaders) */
  private afterHoursDone = new Set<string>();
  private lastPositions = new Map<string, { position: number; at: number }>();
  private hoursCache = new Map<string, QueueHours & { at: number }>();
  /** queues this leader last saw closed, and when it saw each closed queue open */
  private closedQueues = new Set<string>();
  private seenOpening = new Map<string, number>();

  /** signals not yet applied, with the id of the transaction that sent them (null: our own follow-ups) */
  private pending: { x: bigint | null; s: RoutingSignal }[] = [];
  /** the pass or reload under way, awaited on shutdown */
  private busy: Promise<unknown> = Promise.resolve();
  private snapshot?: TxSnapshot;
  private reloading = false;
  private passRunning = false;
  private passAgain = false;
  private passScheduled = false;
  private reloadAfterPass = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
    private readonly lifecycle: ContactLifecycleService,
    private readonly realtime: RealtimeService,
    private readonly customers: CustomerChannelService,
    private readonly jobs: JobsService,
  ) {
    this.store = new RoutingStore(config.reofferCooldownMs);
  }

  onApplicationBootstrap(): void {
    void this.campaign();
  }

  /** Stops before the database connections close, so no pass runs against a closed pool. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.electionTimer);
    await this.stepDown('shutdown');
    // let a pass or reload already under way finish before the connections close
    await this.busy;
  }

  /** Tries for the lock now and then until this process leads. */
  private async campaign(): Promise<void> {
    if (this.stopped || this.leading) return;
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'routing-leader' });
    client.on('error', (e) => void this.stepDown(`leader connection failed: ${e.message}`));
    try {
      await client.connect();
      const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS won', [LEADER_LOCK])).rows;
      if (!row.won) {
        await client.end();
        this.electionTimer = setTimeout(() => void this.campaign(), ELECTION_RETRY_MS);
        return;
      }
      this.client = client;
      this.leading = true;
      client.on('notification', (n) => this.onNotification(n));
      client.on('end', () => void this.stepDown('leader connection closed'));
      await client.query(`LISTEN "${routingChannel(this.config.queuePrefix)}"`);
      await this.reload();
      this.intervals = [
        setInterval(() => this.schedulePass(), TIME_TICK_MS),
        setInterval(() => (this.busy = this.reload()), FULL_RELOAD_MS),
        setInterval(() => void this.flushPositions(), POSITION_FLUSH_MS),
      ];
      this.logger.log('leading routing');
    } catch (e) {
      this.logger.warn(`election: ${e instanceof Error ? e.message : String(e)}`);
      await client.end().catch(() => undefined);
      if (this.leading) await this.stepDown('election failed');
      this.electionTimer = setTimeout(() => void this.campaign(), ELECTION_RETRY_MS);
    }
  }

  private async stepDown(why: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    if (this.stopped) this.logger.log(`stepping down: ${why}`);
    else this.logger.warn(`stepping down: ${why}`);
    this.intervals.forEach(clearInterval);
    this.offerTimers.forEach(clearTimeout);
    this.offerTimers.clear();
    this.waiting.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    if (!this.stopped) this.electionTimer = setTimeout(() => void this.campaign(), ELECTION_RETRY_MS);
  }

  /**
   * Rebuilds everything from one consistent snapshot. Signals from transactions the snapshot already
   * saw are dropped afterwards; later ones apply on top.
   */
  private async reload(): Promise<void> {
    if (!this.leading || this.reloading) return;
    if (this.passRunning) {
      // a pass writing offers after the snapshot was read would lose their timers: reload once it is done
      this.reloadAfterPass = true;
      return;
    }
    this.reloading = true;
    try {
      await this.db.transaction('REPEATABLE READ', async (m) => {
        const [{ snap }] = await m.query(`SELECT pg_current_snapshot()::text AS snap`);
        const [queues, agents, waiting, offers] = [
          await this.store.queues(m, null),
          await this.store.agents(m, null),
          await this.store.waiting(m, null),
          await this.store.pendingOffers(m),
        ];
        this.snapshot = TxSnapshot.parse(snap);
        const snapshot = this.snapshot;
        this.pending = this.pending.filter((p) => p.x === null || !snapshot.sees(p.x));
        this.queues = new Map(queues.map((q) => [q.id, q]));
        this.hoursCache.clear();
        this.agents = new Map(agents.map((a) => [a.id, a]));
        this.waiting = new Map(waiting.map((w) => [w.contactId, w]));
        this.offerTimers.forEach(clearTimeout);
        this.offerTimers.clear();
        for (const o of offers) this.armOfferTimer(o.id, o.expiresAt);
      });
    } catch (e) {
      if (this.leading) this.logger.error(`reload failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.reloading = false;
    }
    await this.applyPending();
    this.schedulePass();
  }

  private onNotification(n: Notification): void {
    try {
      const { x, s } = JSON.parse(n.payload ?? '{}') as { x: string; s: RoutingSignal[] };
      const xid = BigInt(x);
      // after a reload, what the snapshot already contains must not be applied twice
      if (this.snapshot?.sees(xid)) return;
      for (const signal of s) this.pending.push({ x: xid, s: signal });
    } catch (e) {
      this.logger.warn(`bad routing signal: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.schedulePass();
  }

  /** Applies buffered signals: counters directly, everything else by re-reading the rows named. */
  private async applyPending(): Promise<void> {
    if (this.pending.length === 0 || this.reloading) return;
    const signals = this.pending.map((p) => p.s);
    this.pending = [];
    const contacts = new Set<string>();
    const agents = new Set<string>();
    const queues = new Set<string>();
    for (const s of signals) {
      switch (s.t) {
        case 'waiting':
          contacts.add(s.c);
          break;
        case 'gone':
          this.waiting.delete(s.c);
          contacts.delete(s.c);
          break;
        case 'load': {
          const a = this.agents.get(s.a);
          if (!a) agents.add(s.a);
          else {
            a.load[s.ch] = (a.load[s.ch] ?? 0) + s.d;
            if (s.idle) a.idleSince = Date.now();
          }
          break;
        }
        case 'agent':
          agents.add(s.a);
          break;
        case 'queue':
          queues.add(s.q);
          break;
        case 'offer_done':
          clearTimeout(this.offerTimers.get(s.o));
          this.offerTimers.delete(s.o);
          break;
      }
    }
    try {
      if (queues.size) {
        for (const q of await this.store.queues(this.db, [...queues])) this.queues.set(q.id, q);
        // a queue's calendar may have changed with it
        for (const q of queues) this.hoursCache.delete(q);
      }
      if (agents.size) {
        const loaded = await this.store.agents(this.db, [...agents]);
        for (const a of loaded) this.agents.set(a.id, a);
      }
      if (contacts.size) {
        const ids = [...contacts];
        const found = await this.store.waiting(this.db, ids);
        for (const id of ids) this.waiting.delete(id);
        for (const w of found) this.waiting.set(w.contactId, w);
      }
    } catch (e) {
      if (!this.leading) return;
      this.logger.error(`applying signals failed, reloading: ${e instanceof Error ? e.message : String(e)}`);
      this.busy = this.reload();
    }
  }

  private schedulePass(): void {
    if (!this.leading || this.passScheduled) return;
    if (this.passRunning || this.reloading) {
      this.passAgain = true;
      return;
    }
    this.passScheduled = true;
    setImmediate(() => {
      this.passScheduled = false;
      this.busy = this.pass();
    });
  }

  /** One matching pass: overflow what is due, match, write the offers in one statement, deliver them. */
  private async pass(): Promise<void> {
    if (!this.leading || this.passRunning) return;
    if (this.reloading) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    this.passAgain = false;
    try {
      await this.applyPending();
      const now = Date.now();
      const hours = this.hours(now);
      await this.afterHoursDue(now, hours);
      await this.transfersDue(now);
      await this.overflowDue(now);
      const decisions = matchWaiting(this.queues, this.agents, this.waiting.values(), now, hours).map((d) => ({ ...d, offerId: randomUUID() }));
      if (decisions.length === 0) return;
      let written: Map<string, OfferView>;
      try {
        written = await this.store.writeOffers(this.db, decisions, this.config.offerTimeoutMs);
      } catch (e) {
        if (!this.leading) return;
        // memory disagreed with the database (the capacity CHECK, most likely): start again from the database
        this.logger.error(`writing offers failed, reloading: ${e instanceof Error ? e.message : String(e)}`);
        await this.reload();
        return;
      }
      const failedAgents = new Set<string>();
      const failedContacts = new Set<string>();
      for (const d of decisions) {
        const view = written.get(d.offerId);
        if (view === undefined) {
          // the contact stopped waiting or the agent stopped being available meanwhile: re-read both
          const agent = this.agents.get(d.agentId);
          if (agent) agent.load[d.channel] -= 1;
          failedAgents.add(d.agentId);
          failedContacts.add(d.contactId);
          continue;
        }
        this.waiting.delete(d.contactId);
        this.armOfferTimer(d.offerId, Date.parse(view.expiresAt));
        const times = this.dequeues.get(d.queueId) ?? [];
        times.push(now);
        if (times.length > 20) times.shift();
        this.dequeues.set(d.queueId, times);
      }
      for (const a of failedAgents) this.pending.push({ x: null, s: { t: 'agent', a } });
      for (const c of failedContacts) this.pending.push({ x: null, s: { t: 'waiting', c } });
      // an offer that never reaches its agent still expires on its timer and is routed again
      await Promise.all(decisions.filter((d) => written.has(d.offerId)).map((d) => this.realtime.toAgent(d.agentId, 'offer', written.get(d.offerId)!)));
    } catch (e) {
      if (this.leading) this.logger.error(`routing pass failed: ${describeError(e)}`);
    } finally {
      this.passRunning = false;
      if (this.reloadAfterPass) {
        this.reloadAfterPass = false;
        this.busy = this.reload();
        return;
      }
      // our own follow-ups (re-reads after a decision did not stick) wait for the next tick, so a
      // disagreement with the database cannot spin; news from other processes runs a pass at once
      if (this.passAgain) this.schedulePass();
    }
  }

  /** A warm transfer no second agent took within the transfer window fails back to its first agent. */
  private async transfersDue(now: number): Promise<void> {
    const due = [...this.waiting.values()].filter((w) => w.kind === 'transfer' && now - w.queueEnteredAt >= this.config.transferWindowMs);
    if (due.length === 0) return;
    const failed = await this.store.expireTransfers(
      this.db,
      due.map((w) => w.contactId),
    );
    for (const w of due) this.waiting.delete(w.contactId);
    await Promise.all(failed.map((f) => this.realtime.toAgent(f.agent_id, 'transfer:failed', { contactId: f.id, reason: 'not_accepted' })));
  }

  /**
   * Each queue's hours now: whether it is open, and since when. A queue opens by its calendar, or
   * because an admin changed or removed the calendar; either way the contacts that waited through
   * the closure go first, so the opening is the later of the calendar span's start and the moment
   * this leader saw the queue turn open.
   */
  private hours(now: number): Map<string, QueueHours> {
    const result = new Map<string, QueueHours>();
    for (const queue of this.queues.values()) {
      let byCalendar: QueueHours = { open: true, openedAt: null };
      if (queue.calendar) {
        let cached = this.hoursCache.get(queue.id);
        if (!cached || now - cached.at >= HOURS_TTL_MS) {
          const at = new Date(now);
          const open = isOpenAt(queue.calendar, at);
          const spans = open ? openSpansBetween(queue.calendar, new Date(now - 8 * 86_400_000), new Date(now + 1)) : [];
          cached = { open, openedAt: open && spans.length ? spans[spans.length - 1].start.getTime() : null, at: now };
          this.hoursCache.set(queue.id, cached);
        }
        byCalendar = cached;
      }
      if (!byCalendar.open) {
        this.closedQueues.add(queue.id);
        this.seenOpening.delete(queue.id);
      } else if (this.closedQueues.delete(queue.id)) {
        this.seenOpening.set(queue.id, now);
      }
      const seen = this.seenOpening.get(queue.id);
      if (!queue.calendar && seen === undefined) continue;
      const openedAt = byCalendar.openedAt === null ? (seen ?? null) : Math.max(byCalendar.openedAt, seen ?? 0);
      result.set(queue.id, { open: byCalendar.open, openedAt });
    }
    return result;
  }

  /**
   * The after-hours handling, once per contact: when a contact is waiting in a closed queue (or a
   * queue step applies the after-hours action), the customer gets the queue's automatic reply saying
   * when it opens; then, by the queue's rule for the channel, the contact waits for the opening or
   * moves to another queue that is open now (follow-the-sun).
   */
  private async afterHoursDue(now: number, hours: Map<string, QueueHours>): Promise<void> {
    const due: { item: WaitingItem; queue: QueuePolicy; closed: boolean }[] = [];
    for (const item of this.waiting.values()) {
      const queue = this.queues.get(item.queueId);
      if (!queue || item.kind !== 'contact' || this.afterHoursDone.has(item.contactId)) continue;
      const closed = hours.get(queue.id)?.open === false;
      if (closed || dueForAfterHours(queue, item, now)) due.push({ item, queue, closed });
    }
    if (due.length === 0) return;
    const replies = await this.store.afterHours(
      this.db,
      due.map(({ item, queue }) => ({ contactId: item.contactId, text: this.afterHoursText(queue, now) })),
    );
    due.forEach((d) => this.afterHoursDone.add(d.item.contactId));
    await Promise.all(
      replies.map((r) =>
        this.customers.send({ channel: r.channel as Channel, address: r.address }, 'message', {
          id: r.id,
          contactId: r.contact_id,
          direction: 'outbound',
          author: { type: 'system', id: null, name: null },
          text: r.body,
          clientMessageId: null,
          createdAt: new Date(r.created_at).toISOString(),
          delivery: r.delivery_status ? { status: r.delivery_status, errorCode: null, error: null } : null,
        }),
      ),
    );
    // a waiting caller is asked for a voicemail or offered a call back, by the queue's rule for voice
    for (const d of due) {
      const action = d.item.channel === 'voice' ? d.queue.afterHours.voice?.action : undefined;
      if (action === 'voicemail' || action === 'callback') {
        await this.jobs.enqueue('voice.after-hours', { contactId: d.item.contactId, text: this.afterHoursText(d.queue, now), action });
      }
    }
    // follow-the-sun: to a queue that is open now; otherwise the contact waits where it is
    const moves = due
      .filter((d) => d.closed)
      .map((d) => ({ d, rule: d.queue.afterHours[d.item.channel] }))
      .filter(({ rule }) => rule?.action === 'overflow' && rule.overflowQueueId && this.queues.has(rule.overflowQueueId))
      .filter(({ rule }) => hours.get(rule!.overflowQueueId!)?.open !== false)
      .map(({ d, rule }) => ({ contactId: d.item.contactId, from: d.queue.id, to: rule!.overflowQueueId! }));
    await this.move(moves, now, 'after_hours');
  }

  private afterHoursText(queue: QueuePolicy, now: number): string | null {
    const template = queue.afterHoursMessage ?? (queue.calendar ? DEFAULT_AFTER_HOURS_MESSAGE : null);
    if (!template) return null;
    const opening = queue.calendar ? describeNextOpening(queue.calendar, new Date(now)) : null;
    return template.replace(/\{opening\}/g, opening ?? 'soon');
  }

  private async overflowDue(now: number): Promise<void> {
    const moves: { contactId: string; from: string; to: string }[] = [];
    for (const item of this.waiting.values()) {
      const queue = this.queues.get(item.queueId);
      if (queue && dueForOverflow(queue, item, now)) moves.push({ contactId: item.contactId, from: queue.id, to: queue.overflowQueueId! });
    }
    await this.move(moves, now, 'max_wait_or_step');
  }

  private async move(moves: { contactId: string; from: string; to: string }[], now: number, reason: string): Promise<void> {
    if (moves.length === 0) return;
    const moved = new Set(await this.store.overflow(this.db, moves, reason));
    for (const m of moves) {
      const item = this.waiting.get(m.contactId);
      if (!item) continue;
      if (moved.has(m.contactId)) {
        item.queueId = m.to;
        item.queueEnteredAt = now;
      } else this.pending.push({ x: null, s: { t: 'waiting', c: m.contactId } });
    }
  }

  private armOfferTimer(offerId: string, expiresAt: number): void {
    clearTimeout(this.offerTimers.get(offerId));
    const timer = setTimeout(
      () => {
        this.offerTimers.delete(offerId);
        this.lifecycle.expireOffer(offerId).catch((e: Error) => this.logger.warn(`expiring offer ${offerId}: ${e.message}`));
      },
      Math.max(0, expiresAt - Date.now()) + 50,
    );
    timer.unref();
    this.offerTimers.set(offerId, timer);
  }

  /** Tells each waiting web-chat customer their place in the queue and the estimated wait, when it changed. */
  private async flushPositions(): Promise<void> {
    if (!this.leading) return;
    const now = Date.now();
    const byQueue = new Map<string, WaitingItem[]>();
    for (const w of this.waiting.values()) {
      if (w.kind !== 'contact') continue;
      const inQueue = byQueue.get(w.queueId);
      if (inQueue) inQueue.push(w);
      else byQueue.set(w.queueId, [w]);
    }
    const seen = new Set<string>();
    const emits: Promise<void>[] = [];
    for (const [queueId, items] of byQueue) {
      const queue = this.queues.get(queueId);
      if (!queue) continue;
      items.sort((a, b) => priorityScore(queue, b, now) - priorityScore(queue, a, now) || a.queuedAt - b.queuedAt);
      const perOffer = this.secondsPerDequeue(queueId, now);
      for (const [i, item] of items.entries()) {
        seen.add(item.contactId);
        const position = i + 1;
        const last = this.lastPositions.get(item.contactId);
        if (last && (last.position === position || now - last.at < POSITION_EVERY_MS)) continue;
        this.lastPositions.set(item.contactId, { position, at: now });
        if (item.channel !== 'chat' || !item.address) continue;
        emits.push(
          this.realtime.toVisitor(item.address, 'queue:position', {
            contactId: item.contactId,
            position,
            estimatedWaitSeconds: perOffer === null ? null : Math.round(position * perOffer),
          }),
        );
      }
    }
    await Promise.all(emits);
    for (const id of this.lastPositions.keys()) if (!seen.has(id)) this.lastPositions.delete(id);
    for (const id of this.afterHoursDone) if (!this.waiting.has(id)) this.afterHoursDone.delete(id);
  }

  /** Recent seconds between offers in a queue, or null when it has not moved lately. */
  private secondsPerDequeue(queueId: string, now: number): number | null {
    const times = (this.dequeues.get(queueId) ?? []).filter((t) => now - t < 15 * 60_000);
    if (times.length < 2) return null;
    return (now - times[0]) / 1000 / times.length;
  }
}
