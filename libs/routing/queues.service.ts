import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { type Channel, DomainError, ErrorCode } from '@cc/shared';
import { QueueEntity } from './queue.entity';

export interface QueueView {
  id: string;
  name: string;
  channels: Channel[];
  requiredSkills: Record<string, number>;
  active: boolean;
  agentIds: string[];
}

export interface QueueInput {
  name?: string;
  channels?: Channel[];
  requiredSkills?: Record<string, number>;
  active?: boolean;
  agentIds?: string[];
}

/** Queues and who serves them. */
@Injectable()
export class QueuesService {
  private readonly byName = new Map<string, { id: string; at: number }>();

  constructor(
    @InjectRepository(QueueEntity) private readonly queues: Repository<QueueEntity>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async list(): Promise<QueueView[]> {
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
      const [row] = await m.query(`INSERT INTO queues (name, channels, required_skills) VALUES ($1, $2, $3) RETURNING id`, [
        input.name,
        input.channels ?? ['chat', 'sms', 'email', 'voice'],
        JSON.stringify(input.requiredSkills ?? {}),
      ]);
      if (input.agentIds) await this.setMembers(m, row.id, input.agentIds);
      return row.id as string;
    });
    return this.get(id);
  }

  async update(id: string, input: QueueInput): Promise<QueueView> {
    await this.get(id);
    await this.db.transaction(async (m) => {
      if (input.name !== undefined) await this.assertNameFree(m, input.name, id);
      await m.query(
        `UPDATE queues SET name = COALESCE($2, name), channels = COALESCE($3, channels),
                required_skills = COALESCE($4, required_skills), active = COALESCE($5, active), updated_at = now()
          WHERE id = $1`,
        [id, input.name ?? null, input.channels ?? null, input.requiredSkills ? JSON.stringify(input.requiredSkills) : null, input.active ?? null],
      );
      if (input.agentIds) await this.setMembers(m, id, input.agentIds);
    });
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
      const found = await m.query(`SELECT id FROM queues WHERE id = ANY($1)`, [queueIds]);
      if (found.length !== new Set(queueIds).size) throw new DomainError(ErrorCode.ValidationFailed, 'unknown queue id');
      await m.query(`DELETE FROM queue_members WHERE agent_id = $1`, [agentId]);
      await m.query(`INSERT INTO queue_members (queue_id, agent_id) SELECT unnest($1::uuid[]), $2`, [queueIds, agentId]);
    });
  }

  private async setMembers(m: { query: DataSource['query'] }, queueId: string, agentIds: string[]): Promise<void> {
    const found = await m.query(`SELECT user_id FROM agents WHERE user_id = ANY($1)`, [agentIds]);
    if (found.length !== new Set(agentIds).size) throw new DomainError(ErrorCode.ValidationFailed, 'unknown agent id');
    await m.query(`DELETE FROM queue_members WHERE queue_id = $1`, [queueId]);
    await m.query(`INSERT INTO queue_members (queue_id, agent_id) SELECT $1, unnest($2::uuid[])`, [queueId, agentIds]);
  }

  private async assertNameFree(m: { query: DataSource['query'] }, name: string, exceptId?: string): Promise<void> {
    const rows = await m.query(`SELECT 1 FROM queues WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2`, [name, exceptId ?? null]);
    if (rows.length) throw new DomainError(ErrorCode.Conflict, `a queue named ${name} exists`);
  }

  private async views(id?: string): Promise<QueueView[]> {
    const rows = await this.db.query(
      `SELECT q.id, q.name, q.channels, q.required_skills, q.active,
              COALESCE(array_agg(m.agent_id) FILTER (WHERE m.agent_id IS NOT NULL), '{}') AS agent_ids
         FROM queues q LEFT JOIN queue_members m ON m.queue_id = q.id
        WHERE ($1::uuid IS NULL OR q.id = $1) GROUP BY q.id ORDER BY q.name`,
      [id ?? null],
    );
    return rows.map((r: any) => ({
      id: r.id,
      name: r.name,
      channels: r.channels,
      requiredSkills: r.required_skills,
      active: r.active,
      agentIds: r.agent_ids,
    }));
  }
}
