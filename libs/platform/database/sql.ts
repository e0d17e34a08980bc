import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';

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

const statementNames = new Map<string, string>();

/**
 * Runs a statement of the routing hot path as a named prepared statement. Each pooled connection
 * parses and plans it once, and PostgreSQL then settles on a generic plan; an unnamed statement is
 * planned again on every call, which under load was about 40 % of the database's time per contact
 * (see the README's performance section). Answers the statement's rows, for any kind of statement.
 * Inside a transaction, pass its EntityManager: the statement runs on the transaction's connection.
 */
export async function preparedQuery<T = any>(q: DataSource | EntityManager, text: string, values: unknown[]): Promise<T[]> {
  let name = statementNames.get(text);
  if (!name) {
    name = `cc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  const runner = q instanceof DataSource ? undefined : q.queryRunner;
  // TypeORM's PostgreSQL driver keeps its pg pool as `master`
  const client: Pick<Pool, 'query'> = runner ? await runner.connect() : ((q instanceof DataSource ? q : q.connection).driver as unknown as { master: Pool }).master;
  const result = await client.query({ name, text, values });
  return result.rows as T[];
}
