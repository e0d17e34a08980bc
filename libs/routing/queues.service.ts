import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { type Channel, DomainError, ErrorCode, type RoutingSignal } from '@cc/shared';
import { InjectConfig, signalRouting } from '@cc/platform';
import type { AfterHoursPolicy, PriorityPolicy, RoutingStep } from './engine/routing-model';

export interface QueueView {
  id: string;
  name: string;
  channels: Channel[];
  requiredSkills: Record<string, number>;
  priorityPolicy: PriorityPolicy;
  serviceLevelSeconds: number;
  maxWaitSeconds: number | null;
  overflowQueueId: string | null;
  steps: RoutingStep[];
  stickySeconds: number;
  /**
   * sent to a customer who arrives while the queue is closed (or when a step applies the after-hours
   * action); `{opening}` is replaced by when the queue opens next
   */
  afterHoursMessage: string | null;
  /** the business-hours calendar; null: always open */
  calendarId: string | null;
  /** what happens to a contact that arrives while the queue is closed, per channel (default: wait) */
  afterHours: AfterHoursPolicy;
  /** the service-level clock stops while the queue is closed */
  serviceLevelPausesWhenClosed: boolean;
  /** calls answered in this queue are recorded */
  recordCalls: boolean;
  active: boolean;
  agentIds: string[];
}

export type QueueInput = Partial<Omit<QueueView, 'id'>>;

const COLUMNS: Record<keyof Omit<QueueInput, 'agentIds'>, { column: string; json?: boolean }> = {
  name: { column: 'name' },
  channels: { column: 'channels' },
  requiredSkills: { column: 'required_skills', json: true },
  priorityPolicy: { column: 'priority_policy', json: true },
  serviceLevelSeconds: { column: 'service_level_seconds' },
  maxWaitSeconds: { column: 'max_wait_seconds' },
  overflowQueueId: { column: 'overflow_queue_id' },
  steps: { column: 'steps', json: true },
  stickySeconds: { column: 'sticky_seconds' },
  afterHoursMessage: { column: 'after_hours_message' },
  calendarId: { column: 'calendar_id' },
  afterHours: { column: 'after_hours', json: true },
  serviceLevelPausesWhenClosed: { column: 'service_level_pauses_when_closed' },
  recordCalls: { column: 'record_calls' },
  active: { column: 'active' },
};

/** Queues, their routing policy, and who serves them. Every change is signalled to the routing leader. */
@Injectable()
export class QueuesService {
  private readonly byName = new Map<string, { id: string; at: number }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  list(): Promise<QueueView[]> {
    return this.views();
  }

  async get(id: string): Promise<QueueView> {
    const [view] = await this.views(id);
    if (!view) throw new DomainError(ErrorCode.NotFound, `queue ${id} not found`);
    return view;
  }

  async create(input: QueueInput & { name: string }): Promise<QueueView> {
    const id = await this.db.transaction(async (m) => {
      await this.assertNameFree(m, input.name);
      const [row] = await m.query(`INSERT INTO queues (name) VALUES ($1) RETURNING id`, [input.name]);
      await this.apply(m, row.id, input);
      return row.id as string;
    });
    return this.get(id);
  }

  async update(id: string, input: QueueInput): Promise<QueueView> {
    await this.get(id);
    await this.db.transaction((m) => this.apply(m, id, input));
    this.byName.clear();
    return this.get(id);
  }

  /** An active queue, by name (case-insensitive), that takes the channel; cached briefly: every inbound message asks. */
  async activeIdByName(name: string, channel: Channel): Promise<string> {
    const key = `${channel}:${name.toLowerCase()}`;
    const hit = this.byName.get(key);
    if (hit && Date.now() - hit.at < 5000) return hit.id;
    const [row] = await this.db.query(`SELECT id FROM queues WHERE lower(name) = lower($1) AND active AND $2 = ANY(channels)`, [name, channel]);
    if (!row) throw new DomainError(ErrorCode.UnknownQueue, `no active queue named ${name} takes ${channel} contacts`);
    this.byName.set(key, { id: row.id, at: Date.now() });
    return row.id;
  }

  async queueIdsOfAgent(agentId: string): Promise<string[]> {
    const rows: { queue_id: string }[] = await this.db.query(`SELECT queue_id FROM queue_members WHERE agent_id = $1`, [agentId]);
    return rows.map((r) => r.queue_id);
  }

  /** Sets the queues an agent serves. */
  async setAgentQueues(agentId: string, queueIds: string[]): Promise<void> {
    await this.db.transaction(async (m) => {
      await this.assertQueuesExist(m, queueIds);
      const before: { queue_id: string }[] = await m.query(`DELETE FROM queue_members WHERE agent_id = $1 RETURNING queue_id`, [agentId]).then((r) => r[0]);
      await m.query(`INSERT INTO queue_members (queue_id, agent_id) SELECT unnest($1::uuid[]), $2`, [queueIds, agentId]);
      const touched = new Set([...before.map((r) => r.queue_id), ...queueIds]);
      await signalRouting(m, this.config.queuePrefix, [...touched].map((q): RoutingSignal => ({ t: 'queue', q })));
    });
  }

  /** Writes the given fields and members, checks the overflow chain, and tells the router. */
  private async apply(m: EntityManager, id: string, input: QueueInput): Promise<void> {
    if (input.name !== undefined) await this.assertNameFree(m, input.name, id);
    const referenced = [
      ...(input.overflowQueueId ? [input.overflowQueueId] : []),
      ...(input.steps ?? []).flatMap((s) => s.addQueueIds ?? []),
      ...Object.values(input.afterHours ?? {}).flatMap((r) => (r?.overflowQueueId ? [r.overflowQueueId] : [])),
    ];
    await this.assertQueuesExist(m, referenced);
    if (Object.values(input.afterHours ?? {}).some((r) => r?.overflowQueueId === id)) {
      throw new DomainError(ErrorCode.ValidationFailed, 'afterHours: a queue cannot overflow to itself');
    }
    if (input.calendarId) {
      const [calendar] = await m.query(`SELECT 1 FROM calendars WHERE id = $1`, [input.calendarId]);
      if (!calendar) throw new DomainError(ErrorCode.ValidationFailed, 'calendarId: unknown calendar id');
    }
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [key, spec] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, (typeof COLUMNS)[keyof typeof COLUMNS]][]) {
      if (input[key] === undefined) continue;
      params.push(spec.json ? JSON.stringify(input[key]) : input[key]);
      sets.push(`${spec.column} = $${params.length}`);
    }
    if (sets.length) await m.query(`UPDATE queues SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
    if (input.overflowQueueId) await this.assertNoOverflowLoop(m, id);
    if (input.agentIds) {
      const found = await m.query(`SELECT user_id FROM agents WHERE user_id = ANY($1)`, [input.agentIds]);
      if (found.length !== new Set(input.agentIds).size) throw new DomainError(ErrorCode.ValidationFailed, 'agentIds: unknown agent id');
      await m.query(`DELETE FROM queue_members WHERE queue_id = $1`, [id]);
      await m.query(`INSERT INTO queue_members (queue_id, agent_id) SELECT $1, unnest($2::uuid[])`, [id, input.agentIds]);
    }
    await signalRouting(m, this.config.queuePrefix, [{ t: 'queue', q: id }]);
  }

  private async assertNameFree(m: EntityManager, name: string, exceptId?: string): Promise<void> {
    const taken = await m.query(`SELECT 1 FROM queues WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2`, [name, exceptId ?? null]);
    if (taken.length) throw new DomainError(ErrorCode.Conflict, `a queue named ${name} exists`);
  }

  /** Refuses ids that name no queue, before anything is written. */
  async assertQueuesExist(m: Pick<EntityManager, 'query'>, ids: string[], field = 'queueIds'): Promise<void> {
    if (ids.length === 0) return;
    const found = await m.query(`SELECT id FROM queues WHERE id = ANY($1)`, [ids]);
    if (found.length !== new Set(ids).size) throw new DomainError(ErrorCode.ValidationFailed, `${field}: unknown queue id`);
  }

  /** An overflow chain must end: following it from this queue never comes back. */
  private async assertNoOverflowLoop(m: EntityManager, id: string): Promise<void> {
    const [row] = await m.query(
      `WITH RECURSIVE chain(id, depth) AS (
         SELECT overflow_queue_id, 1 FROM queues WHERE id = $1
         UNION ALL SELECT q.overflow_queue_id, c.depth + 1 FROM chain c JOIN queues q ON q.id = c.id WHERE c.depth < 50
       ) SELECT bool_or(id = $1) AS loops FROM chain`,
      [id],
    );
    if (row.loops) throw new DomainError(ErrorCode.ValidationFailed, 'overflowQueueId: the overflow chain would loop back to this queue');
  }

  private async views(id?: string): Promise<QueueView[]> {
    const rows = await this.db.query(
      `SELECT q.*, COALESCE(array_agg(m.agent_id) FILTER (WHERE m.agent_id IS NOT NULL), '{}') AS agent_ids
         FROM queues q LEFT JOIN queue_members m ON m.queue_id = q.id
        WHERE ($1::uuid IS NULL OR q.id = $1) GROUP BY q.id ORDER BY q.name`,
      [id ?? null],
    );
    return rows.map((r: any) => ({
      id: r.id,
      name: r.name,
      channels: r.channels,
      requiredSkills: r.required_skills,
      priorityPolicy: r.priority_policy,
      serviceLevelSeconds: r.service_level_seconds,
      maxWaitSeconds: r.max_wait_seconds,
      overflowQueueId: r.overflow_queue_id,
      steps: r.steps,
      stickySeconds: r.sticky_seconds,
      afterHoursMessage: r.after_hours_message,
      calendarId: r.calendar_id,
      afterHours: r.after_hours,
      serviceLevelPausesWhenClosed: r.service_level_pauses_when_closed,
      recordCalls: r.record_calls,
      active: r.active,
      agentIds: r.agent_ids,
    }));
  }
}
