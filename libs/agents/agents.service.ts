import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { type Channel, DEFAULT_CAPACITY, DomainError, ErrorCode, type Presence, type Role } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';
import { affectedRows, hashPassword, InjectConfig, signalRouting, verifyPassword } from '@cc/platform';
import { User } from './user.entity';

export interface AgentProfile {
  id: string;
  email: string;
  name: string;
  active: boolean;
  presence: Presence;
  awayReason: string | null;
  skills: Record<string, number>;
  capacity: Record<Channel, number>;
  load: Record<Channel, number>;
  voiceBlocksOtherChannels: boolean;
  /** where calls ring: client:<identity> (browser softphone), +E.164, or sip:user@host */
  voiceEndpoint: string | null;
}

export interface NewAgent {
  email: string;
  name: string;
  password: string;
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
  voiceBlocksOtherChannels?: boolean;
}

export interface AgentChange {
  name?: string;
  password?: string;
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
  voiceBlocksOtherChannels?: boolean;
  voiceEndpoint?: string | null;
  active?: boolean;
}

/** Staff accounts, agents' skills and capacity, and their presence. */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** Checks a staff member's credentials; the same answer for an unknown email and a wrong password. */
  async authenticate(email: string, password: string): Promise<{ id: string; role: Role; name: string }> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.trim().toLowerCase() })
      .getOne();
    if (!user || !user.active || !(await verifyPassword(password, user.passwordHash))) {
      throw new DomainError(ErrorCode.Unauthorized, 'email or password is wrong');
    }
    return { id: user.id, role: user.role, name: user.name };
  }

  async create(input: NewAgent): Promise<AgentProfile> {
    const email = input.email.trim().toLowerCase();
    const passwordHash = await hashPassword(input.password);
    const id = await this.db.transaction(async (m) => {
      const taken = await m.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
      if (taken.length) throw new DomainError(ErrorCode.Conflict, `a user with email ${email} exists`);
      const [row] = await m.query(`INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, 'agent', $3) RETURNING id`, [
        email,
        input.name,
        passwordHash,
      ]);
      await m.query(`INSERT INTO agents (user_id, skills, voice_blocks_other_channels) VALUES ($1, $2, $3)`, [
        row.id,
        JSON.stringify(input.skills ?? {}),
        input.voiceBlocksOtherChannels ?? true,
      ]);
      const capacity = { ...DEFAULT_CAPACITY, ...input.capacity };
      for (const [channel, n] of Object.entries(capacity)) {
        await m.query(`INSERT INTO agent_capacities (agent_id, channel, capacity) VALUES ($1, $2, $3)`, [row.id, channel, n]);
      }
      await signalRouting(m, this.config.queuePrefix, [{ t: 'agent', a: row.id }]);
      return row.id as string;
    });
    return this.get(id);
  }

  async update(id: string, change: AgentChange): Promise<AgentProfile> {
    await this.get(id);
    const passwordHash = change.password ? await hashPassword(change.password) : undefined;
    await this.db.transaction(async (m) => {
      if (change.name !== undefined || passwordHash || change.active !== undefined) {
        await m.query(
          `UPDATE users SET name = COALESCE($2, name), password_hash = COALESCE($3, password_hash),
                  active = COALESCE($4, active), updated_at = now() WHERE id = $1`,
          [id, change.name ?? null, passwordHash ?? null, change.active ?? null],
        );
      }
      if (change.active === false) {
        await m.query(`UPDATE agents SET presence = 'offline', away_reason = 'deactivated', presence_since = now() WHERE user_id = $1`, [id]);
      }
      if (change.skills) await m.query(`UPDATE agents SET skills = $2 WHERE user_id = $1`, [id, JSON.stringify(change.skills)]);
      if (change.voiceEndpoint !== undefined) {
        await m.query(`UPDATE agents SET voice_endpoint = $2 WHERE user_id = $1`, [id, change.voiceEndpoint]);
      }
      if (change.voiceBlocksOtherChannels !== undefined) {
        await m.query(`UPDATE agents SET voice_blocks_other_channels = $2 WHERE user_id = $1`, [id, change.voiceBlocksOtherChannels]);
      }
      for (const [channel, capacity] of Object.entries(change.capacity ?? {})) {
        const count = await affectedRows(
          m,
          `UPDATE agent_capacities SET capacity = $3 WHERE agent_id = $1 AND channel = $2 AND load <= $3`,
          [id, channel, capacity],
        );
        if (count !== 1) {
          throw new DomainError(ErrorCode.Conflict, `${channel} capacity cannot drop below the contacts the agent holds now`);
        }
      }
      await signalRouting(m, this.config.queuePrefix, [{ t: 'agent', a: id }]);
    });
    return this.get(id);
  }

  async get(id: string): Promise<AgentProfile> {
    const [profile] = await this.profiles(id);
    if (!profile) throw new DomainError(ErrorCode.NotFound, `agent ${id} not found`);
    return profile;
  }

  list(): Promise<AgentProfile[]> {
    return this.profiles();
  }

  /** Sets an agent's chosen presence, and tells the router. Returns whether it changed. */
  /**
   * Sets an agent's presence. The agent state log (written by the database) records who did it: the
   * agent, unless `actor` names a supervisor, an admin or the system.
   */
  async setPresence(id: string, presence: Presence, reason: string | null, actor?: { type: 'supervisor' | 'admin' | 'system'; id: string | null }): Promise<boolean> {
    return this.db.transaction(async (m) => {
      if (actor) await m.query(`SELECT set_config('cc.actor', $1, true)`, [`${actor.type}:${actor.id ?? ''}`]);
      const changed = await this.writePresence(m, id, presence, reason);
      if (changed) await signalRouting(m, this.config.queuePrefix, [{ t: 'agent', a: id }]);
      return changed;
    });
  }

  private async writePresence(m: Pick<DataSource, 'query'>, id: string, presence: Presence, reason: string | null): Promise<boolean> {
    const count = await affectedRows(
      m,
      `UPDATE agents a SET presence = $2, away_reason = $3, presence_since = now(),
              idle_since = CASE WHEN $2 = 'available' AND a.presence <> 'available' THEN now() ELSE a.idle_since END,
              missed_offers = CASE WHEN $2 = 'available' THEN 0 ELSE a.missed_offers END
         FROM users u
        WHERE a.user_id = $1 AND u.id = a.user_id AND u.active
          AND (a.presence IS DISTINCT FROM $2 OR a.away_reason IS DISTINCT FROM $3)`,
      [id, presence, presence === 'away' ? reason : null],
    );
    return count === 1;
  }

  async presenceOf(id: string): Promise<{ name: string; presence: Presence; awayReason: string | null }> {
    const [row] = await this.db.query(
      `SELECT u.name, a.presence, a.away_reason FROM agents a JOIN users u ON u.id = a.user_id WHERE a.user_id = $1 AND u.active`,
      [id],
    );
    if (!row) throw new DomainError(ErrorCode.Forbidden, 'not an active agent');
    return { name: row.name, presence: row.presence, awayReason: row.away_reason };
  }

  private async profiles(id?: string): Promise<AgentProfile[]> {
    const rows = await this.db.query(
      `SELECT u.id, u.email, u.name, u.active, a.presence, a.away_reason, a.skills,
              a.voice_blocks_other_channels, a.voice_endpoint,
              jsonb_object_agg(c.channel, c.capacity) AS capacity, jsonb_object_agg(c.channel, c.load) AS load
         FROM users u JOIN agents a ON a.user_id = u.id JOIN agent_capacities c ON c.agent_id = u.id
        WHERE ($1::uuid IS NULL OR u.id = $1)
        GROUP BY u.id, a.user_id ORDER BY u.name`,
      [id ?? null],
    );
    return rows.map((r: any) => ({
      id: r.id,
      email: r.email,
      name: r.name,
      active: r.active,
      presence: r.presence,
      awayReason: r.away_reason,
      skills: r.skills,
      capacity: r.capacity,
      load: r.load,
      voiceBlocksOtherChannels: r.voice_blocks_other_channels,
      voiceEndpoint: r.voice_endpoint,
    }));
  }
}
