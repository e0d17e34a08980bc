import type { EntityManager } from 'typeorm';
import type { ActorType, ContactState } from '@cc/shared';

export interface ContactEventInput {
  contactId: string;
  type: string;
  from?: ContactState | null;
  to?: ContactState | null;
  actor: { type: ActorType; id?: string | null };
  reason?: string | null;
  data?: Record<string, unknown>;
}

/** Appends one row to the contact's event log, inside the caller's transaction. */
export async function recordContactEvent(m: EntityManager, e: ContactEventInput): Promise<void> {
  await m.query(
    `INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, actor_id, reason, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.contactId, e.type, e.from ?? null, e.to ?? null, e.actor.type, e.actor.id ?? null, e.reason ?? null, JSON.stringify(e.data ?? {})],
  );
}
