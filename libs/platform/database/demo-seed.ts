import { Client } from 'pg';
import { DEFAULT_CAPACITY } from '@cc/shared';
import { hashPassword } from '../auth/passwords';

/** The demo organisation printed at first start. */
export const DEMO_USERS = [
  { email: 'admin@demo.local', name: 'Ada Admin', role: 'admin', password: 'admin-demo' },
  { email: 'supervisor@demo.local', name: 'Sam Supervisor', role: 'supervisor', password: 'supervisor-demo' },
  { email: 'alice@demo.local', name: 'Alice Agent', role: 'agent', password: 'agent-demo', queues: ['Support', 'Sales'] },
  { email: 'bob@demo.local', name: 'Bob Agent', role: 'agent', password: 'agent-demo', queues: ['Support'] },
] as const;
export const DEMO_QUEUES = ['Support', 'Sales'] as const;

/** Seeds the demo organisation into an empty database; does nothing once any user exists. */
export async function seedDemo(databaseUrl: string): Promise<boolean> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    // two processes starting at once must not both seed
    await db.query('LOCK TABLE users IN EXCLUSIVE MODE');
    const { rows } = await db.query('SELECT count(*)::int AS n FROM users');
    if (rows[0].n > 0) {
      await db.query('ROLLBACK');
      return false;
    }
    const queueIds = new Map<string, string>();
    for (const name of DEMO_QUEUES) {
      const q = await db.query(`INSERT INTO queues (name) VALUES ($1) RETURNING id`, [name]);
      queueIds.set(name, q.rows[0].id);
    }
    for (const u of DEMO_USERS) {
      const r = await db.query(`INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id`, [
        u.email,
        u.name,
        u.role,
        await hashPassword(u.password),
      ]);
      if (u.role !== 'agent') continue;
      const id = r.rows[0].id;
      await db.query(`INSERT INTO agents (user_id, skills) VALUES ($1, '{"english": 5}')`, [id]);
      for (const [channel, capacity] of Object.entries(DEFAULT_CAPACITY)) {
        await db.query(`INSERT INTO agent_capacities (agent_id, channel, capacity) VALUES ($1, $2, $3)`, [id, channel, capacity]);
      }
      for (const q of u.queues) {
        await db.query(`INSERT INTO queue_members (queue_id, agent_id) VALUES ($1, $2)`, [queueIds.get(q), id]);
      }
    }
    await db.query('COMMIT');
    return true;
  } catch (e) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await db.end();
  }
}
