import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import request from 'supertest';
import { connectAgent, eventually, login, waitForEvent, type AgentClient, type VisitorClient } from './clients';

/** The password of every agent the kit creates. */
export const AGENT_PASSWORD = 'agent-password';

/** A name no other test of the run uses, so each test builds its own queues and agents. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

export interface QueueSpec {
  name?: string;
  channels?: ('chat' | 'sms' | 'email' | 'voice')[];
  requiredSkills?: Record<string, number>;
  priorityPolicy?: { tiers?: Record<string, number>; channels?: Record<string, number>; agingPerMinute?: number };
  serviceLevelSeconds?: number;
  maxWaitSeconds?: number | null;
  overflowQueueId?: string | null;
  steps?: { afterSeconds: number; requiredSkills?: Record<string, number>; addQueueIds?: string[]; action?: 'overflow' | 'after_hours' }[];
  stickySeconds?: number;
  afterHoursMessage?: string | null;
  agentIds?: string[];
}

export interface AgentSpec {
  name?: string;
  skills?: Record<string, number>;
  capacity?: { voice?: number; chat?: number; sms?: number; email?: number };
  queueIds?: string[];
}

/** An agent created for a test, signed in on the desk socket. */
export type DeskAgent = AgentClient & { id: string; name: string; email: string };

/** The admin REST API, as the demo admin. */
export class AdminApi {
  private constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  static async signIn(url: string): Promise<AdminApi> {
    return new AdminApi(url, await login(url, 'admin@demo.local', 'admin-demo'));
  }

  private http() {
    return request(this.url);
  }

  private get auth() {
    return { Authorization: `Bearer ${this.token}` };
  }

  async createQueue(spec: QueueSpec = {}): Promise<{ id: string; name: string }> {
    const res = await this.http()
      .post('/admin/queues')
      .set(this.auth)
      .send({ name: unique('q'), ...spec });
    if (res.status !== 201) throw new Error(`creating queue: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async updateQueue(id: string, change: QueueSpec): Promise<void> {
    const res = await this.http().patch(`/admin/queues/${id}`).set(this.auth).send(change);
    if (res.status !== 200) throw new Error(`updating queue: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async queueByName(name: string): Promise<{ id: string; name: string; agentIds: string[] }> {
    const res = await this.http().get('/admin/queues').set(this.auth).expect(200);
    return res.body.find((q: { name: string }) => q.name === name);
  }

  async createAgent(spec: AgentSpec = {}): Promise<{ id: string; email: string; password: string; name: string }> {
    const name = spec.name ?? unique('Agent');
    const email = `${unique('agent')}@test.local`;
    const password = AGENT_PASSWORD;
    const res = await this.http()
      .post('/admin/agents')
      .set(this.auth)
      .send({ email, name, password, ...(spec.skills ? { skills: spec.skills } : {}), ...(spec.capacity ? { capacity: spec.capacity } : {}), queueIds: spec.queueIds ?? [] });
    if (res.status !== 201) throw new Error(`creating agent: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id, email, password, name };
  }

  /** Creates an agent and connects their desk; `available` sets their presence right away. */
  async deskAgent(spec: AgentSpec & { available?: boolean } = {}): Promise<DeskAgent> {
    const created = await this.createAgent(spec);
    const desk = await connectAgent(this.url, await login(this.url, created.email, created.password));
    if (spec.available) await setAvailable(desk);
    return Object.assign(desk, { id: created.id, name: created.name, email: created.email });
  }

  async patchCustomer(id: string, change: Record<string, unknown>): Promise<void> {
    const res = await this.http().patch(`/customers/${id}`).set(this.auth).send(change);
    if (res.status !== 200) throw new Error(`updating customer: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** `GET /contacts/:id/routing`: the contact's routing decisions and events, oldest first. */
  async routing(contactId: string): Promise<RoutingEvent[]> {
    const res = await this.http().get(`/contacts/${contactId}/routing`).set(this.auth).expect(200);
    return res.body.decisions;
  }
}

export interface RoutingEvent {
  type: string;
  fromState: string | null;
  toState: string | null;
  reason: string | null;
  actor: { type: string; id: string | null };
  data: Record<string, any>;
  at: string;
}

export async function setAvailable(agent: AgentClient): Promise<void> {
  const ack = await agent.ack('presence:set', { state: 'available' });
  if (!ack.ok) throw new Error(`presence:set available: ${JSON.stringify(ack)}`);
}

export async function setPresence(agent: AgentClient, state: 'available' | 'away' | 'offline'): Promise<void> {
  const ack = await agent.ack('presence:set', { state });
  if (!ack.ok) throw new Error(`presence:set ${state}: ${JSON.stringify(ack)}`);
}

/** Collects every payload of an event from now on, for checks of what came and in what order. */
export function record<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (p: T) => seen.push(p));
  return seen;
}

/**
 * Watches for an event for a while and returns the matching payloads that came (none expected).
 * Used only where the behaviour proven is that something does NOT happen within a time.
 */
export function watchFor<T = any>(socket: Socket, event: string, ms: number, match: (p: T) => boolean = () => true): Promise<T[]> {
  const seen: T[] = [];
  const handler = (p: T) => {
    if (match(p)) seen.push(p);
  };
  socket.on(event, handler);
  return new Promise((ok) =>
    setTimeout(() => {
      socket.off(event, handler);
      ok(seen);
    }, ms),
  );
}

export interface ContactRow {
  id: string;
  state: string;
  agent_id: string | null;
  queue_id: string;
  customer_id: string;
  pending_transfer: Record<string, unknown> | null;
}

/** The visitor's open contact, once the worker has stored their first message. */
export function openContact(db: Client, visitor: VisitorClient | string, timeoutMs = 15_000): Promise<ContactRow> {
  const address = typeof visitor === 'string' ? visitor : visitor.visitorId;
  return eventually(
    async () =>
      (
        await db.query(
          `SELECT id, state, agent_id, queue_id, customer_id, pending_transfer FROM contacts
            WHERE channel = 'chat' AND address = $1 AND state IN ('queued', 'offered', 'active', 'wrap_up')`,
          [address],
        )
      ).rows[0] as ContactRow | undefined,
    timeoutMs,
    `an open contact for visitor ${address}`,
  );
}

export async function contactRow(db: Client, id: string): Promise<ContactRow> {
  return (await db.query(`SELECT id, state, agent_id, queue_id, customer_id, pending_transfer FROM contacts WHERE id = $1`, [id])).rows[0];
}

export async function chatLoad(db: Client, agentId: string): Promise<number> {
  return (await db.query(`SELECT load FROM agent_capacities WHERE agent_id = $1 AND channel = 'chat'`, [agentId])).rows[0].load;
}

export async function eventTypes(db: Client, contactId: string): Promise<string[]> {
  return (await db.query(`SELECT type FROM contact_events WHERE contact_id = $1 ORDER BY id`, [contactId])).rows.map((r) => r.type);
}

/** Accepts an offer and fails loudly if the server refuses. */
export async function accept(agent: AgentClient, offerId: string): Promise<any> {
  const ack = await agent.ack('offer:accept', { offerId });
  if (!ack.ok) throw new Error(`offer:accept: ${JSON.stringify(ack)}`);
  return ack.contact;
}

/** Ends and wraps up a contact the agent holds. */
export async function finish(agent: AgentClient, contactId: string): Promise<void> {
  const ended = await agent.ack('contact:end', { contactId });
  if (!ended.ok) throw new Error(`contact:end: ${JSON.stringify(ended)}`);
  const closed = await agent.ack('contact:wrapup', { contactId, disposition: 'resolved' });
  if (!closed.ok) throw new Error(`contact:wrapup: ${JSON.stringify(closed)}`);
}

/**
 * waitForEvent for a promise awaited later: if the test fails before awaiting it, its rejection must
 * not surface as an unhandled rejection that takes the test process down.
 */
export function expectEvent<T = any>(socket: Socket, event: string, match?: (payload: T) => boolean, timeoutMs?: number): Promise<T> {
  const p = waitForEvent<T>(socket, event, match, timeoutMs);
  p.catch(() => undefined);
  return p;
}
