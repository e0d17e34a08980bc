import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { type CalendarDefinition, parseCalendarDefinition } from '@cc/calendars';
import { DomainError, ErrorCode, type RoutingSignal } from '@cc/shared';
import { InjectConfig, signalRouting } from '@cc/platform';

export interface CalendarView {
  id: string;
  name: string;
  definition: CalendarDefinition;
  /** the queues that keep these hours */
  queueIds: string[];
}

/** Business-hours calendars (admin): each change re-signals the queues that use it, so routing follows at once. */
@Injectable()
export class CalendarsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async list(): Promise<CalendarView[]> {
    return this.views(null);
  }

  async get(id: string): Promise<CalendarView> {
    const [view] = await this.views(id);
    if (!view) throw new DomainError(ErrorCode.NotFound, `calendar ${id} not found`);
    return view;
  }

  async create(name: string, definition: unknown): Promise<CalendarView> {
    const parsed = parseCalendarDefinition(definition);
    const id = await this.db.transaction(async (m) => {
      await this.assertNameFree(m, name, null);
      const [row] = await m.query(`INSERT INTO calendars (name, definition) VALUES ($1, $2) RETURNING id`, [name, JSON.stringify(parsed)]);
      return row.id as string;
    });
    return this.get(id);
  }

  async update(id: string, input: { name?: string; definition?: unknown }): Promise<CalendarView> {
    await this.get(id);
    const parsed = input.definition === undefined ? undefined : parseCalendarDefinition(input.definition);
    await this.db.transaction(async (m) => {
      if (input.name !== undefined) await this.assertNameFree(m, input.name, id);
      await m.query(`UPDATE calendars SET name = COALESCE($2, name), definition = COALESCE($3, definition), updated_at = now() WHERE id = $1`, [
        id,
        input.name ?? null,
        parsed ? JSON.stringify(parsed) : null,
      ]);
      const queues: { id: string }[] = await m.query(`SELECT id FROM queues WHERE calendar_id = $1`, [id]);
      await signalRouting(m, this.config.queuePrefix, queues.map((q): RoutingSignal => ({ t: 'queue', q: q.id })));
    });
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const view = await this.get(id);
    if (view.queueIds.length) throw new DomainError(ErrorCode.Conflict, `calendar ${id} is used by ${view.queueIds.length} queue(s)`);
    await this.db.query(`DELETE FROM calendars WHERE id = $1`, [id]);
  }

  private async assertNameFree(m: Pick<DataSource, 'query'>, name: string, exceptId: string | null): Promise<void> {
    const taken = await m.query(`SELECT 1 FROM calendars WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2`, [name, exceptId]);
    if (taken.length) throw new DomainError(ErrorCode.Conflict, `a calendar named ${name} exists`);
  }

  private async views(id: string | null): Promise<CalendarView[]> {
    const rows = await this.db.query(
      `SELECT c.id, c.name, c.definition, COALESCE(array_agg(q.id) FILTER (WHERE q.id IS NOT NULL), '{}') AS queue_ids
         FROM calendars c LEFT JOIN queues q ON q.calendar_id = c.id
        WHERE $1::uuid IS NULL OR c.id = $1 GROUP BY c.id ORDER BY c.name`,
      [id],
    );
    return rows.map((r: any) => ({ id: r.id, name: r.name, definition: r.definition, queueIds: r.queue_ids }));
  }
}
