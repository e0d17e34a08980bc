import type { EntityManager } from 'typeorm';

type Queryable = Pick<EntityManager, 'query'>;

/**
 * Runs an UPDATE or DELETE ... RETURNING and gives back its rows.
 * (TypeORM answers those two statements with `[rows, affectedCount]`, every other one with the rows.)
 */
export async function updateReturning<T = any>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const [rows] = await q.query(sql, params);
  return rows;
}

/** Runs an UPDATE or DELETE and gives back how many rows it changed. */
export async function affectedRows(q: Queryable, sql: string, params: unknown[]): Promise<number> {
  const [, count] = await q.query(sql, params);
  return count;
}
