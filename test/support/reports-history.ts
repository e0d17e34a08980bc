import type { Client } from 'pg';

/**
 * Writes a contact-center history straight into the database, for report tests whose answers are
 * computed by hand: customers, contacts in their final states, offers, contact events and agent
 * presence timelines, each at a time the test chooses.
 */
export type Channel = 'chat' | 'sms' | 'email' | 'voice';
export type Actor = { type: 'system' | 'customer' | 'agent' | 'supervisor' | 'admin'; id?: string | null };

const date = (at: string | Date) => (at instanceof Date ? at : new Date(at));
const plus = (at: string | Date, seconds: number) => new Date(date(at).getTime() + seconds * 1000);

export class ReportsHistory {
  constructor(private readonly db: Client) {}

  async customer(name: string): Promise<string> {
    const { rows } = await this.db.query(`INSERT INTO customers (name) VALUES ($1) RETURNING id`, [name]);
    return rows[0].id;
  }

  /** A contact row as the product leaves it once finished (closed or abandoned: no agent holds it). */
  async contact(c: {
    customerId: string;
    channel: Channel;
    address: string;
    queueId: string;
    state: 'closed' | 'abandoned';
    createdAt: string;
    answeredAt?: string | null;
    closedAt: string;
    csat?: number | null;
  }): Promise<string> {
    const { rows } = await this.db.query(
      `INSERT INTO contacts (customer_id, channel, address, queue_id, state, agent_id, created_at, queued_at, queue_entered_at,
                             answered_at, closed_at, updated_at, csat)
       VALUES ($1, $2, $3, $4, $5, NULL, $6, $6, $6, $7, $8, $8, $9) RETURNING id`,
      [c.customerId, c.channel, c.address, c.queueId, c.state, date(c.createdAt), c.answeredAt ? date(c.answeredAt) : null, date(c.closedAt), c.csat ?? null],
    );
    await this.event(rows[0].id, 'queued', c.createdAt, { type: 'customer', id: c.customerId }, { to: 'queued', reason: 'new_contact' });
    return rows[0].id;
  }

  /** An offer made 2 s before it was answered (or resolved otherwise), expiring 30 s after it was made. */
  async offer(
    contactId: string,
    agentId: string,
    resolvedAt: string,
    opts: { status?: 'accepted' | 'rejected' | 'expired' | 'revoked'; kind?: 'route' | 'transfer'; offeredAt?: string } = {},
  ): Promise<string> {
    const offeredAt = opts.offeredAt ? date(opts.offeredAt) : plus(resolvedAt, -2);
    const { rows } = await this.db.query(
      `INSERT INTO contact_offers (contact_id, agent_id, status, kind, created_at, expires_at, resolved_at, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [contactId, agentId, opts.status ?? 'accepted', opts.kind ?? 'route', offeredAt, plus(offeredAt, 30), date(resolvedAt), opts.status === 'expired' ? 'timeout' : null],
    );
    const offerId = rows[0].id;
    await this.event(contactId, opts.kind === 'transfer' ? 'transfer_offered' : 'offered', offeredAt, { type: 'system' }, { data: { offerId, agentId } });
    return offerId;
  }

  async event(
    contactId: string,
    type: string,
    at: string | Date,
    actor: Actor,
    extra: { from?: string; to?: string; reason?: string; data?: object } = {},
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, actor_id, reason, data, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [contactId, type, extra.from ?? null, extra.to ?? null, actor.type, actor.id ?? null, extra.reason ?? null, JSON.stringify(extra.data ?? {}), date(at)],
    );
  }

  /** The agent takes the contact: the accepted offer and its event. */
  async accept(contactId: string, agentId: string, at: string, kind: 'route' | 'transfer' = 'route'): Promise<void> {
    const offerId = await this.offer(contactId, agentId, at, { kind });
    if (kind === 'route') await this.event(contactId, 'accepted', at, { type: 'agent', id: agentId }, { from: 'offered', to: 'active', data: { offerId } });
    else await this.event(contactId, 'transfer_accepted', at, { type: 'agent', id: agentId }, { from: 'active', to: 'active', reason: 'warm_transfer', data: { offerId } });
  }

  /** The agent ends the conversation (wrap-up starts) and later finishes wrap-up (the contact closes). */
  async wrapUpAndClose(contactId: string, agentId: string, wrapUpAt: string, closedAt: string): Promise<void> {
    await this.event(contactId, 'wrap_up', wrapUpAt, { type: 'agent', id: agentId }, { from: 'active', to: 'wrap_up' });
    await this.event(contactId, 'closed', closedAt, { type: 'agent', id: agentId }, { from: 'wrap_up', to: 'closed', reason: 'wrap_up_done', data: { disposition: 'resolved' } });
  }

  /** Replaces an agent's presence log (the seeded rows included) with a known timeline. */
  async presenceTimeline(agentId: string, changes: [at: string, presence: 'available' | 'away' | 'offline', awayReason?: string][]): Promise<void> {
    await this.db.query(`DELETE FROM agent_state_log WHERE agent_id = $1`, [agentId]);
    for (const [at, presence, reason] of changes) {
      await this.db.query(`INSERT INTO agent_state_log (agent_id, presence, away_reason, actor_type, started_at) VALUES ($1, $2, $3, 'agent', $4)`, [
        agentId,
        presence,
        reason ?? null,
        date(at),
      ]);
    }
  }
}

/** RFC 4180 CSV into rows of cells (quoted cells, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
