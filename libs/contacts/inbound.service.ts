import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Channel, ContactState, IdentityKind, InboundMessageJob, MessageView, RoutingSignal } from '@cc/shared';
import type { ResolvedConfig } from '@cc/config';
import { CustomersService } from '@cc/customers';
import { InjectConfig, signalRouting } from '@cc/platform';

const IDENTITY_OF_CHANNEL: Record<Channel, IdentityKind> = { chat: 'webchat', sms: 'phone', voice: 'phone', email: 'email' };
/** NOTIFY payloads are limited to 8000 bytes */
const SIGNALS_PER_NOTIFY = 80;

export interface IngestedContact {
  id: string;
  state: ContactState;
  agentId: string | null;
  queueId: string;
  channel: Channel;
  address: string;
}

export type IngestResult =
  /** seen before: nothing stored, nothing to deliver */
  | { duplicate: true }
  | {
      duplicate: false;
      contact: IngestedContact;
      /** a new contact was opened (and the router told, at commit) */
      opened: boolean;
      message: MessageView;
    };

/**
 * The common inbound path for every channel: recognise the customer, find their open contact on
 * that channel or open one, store the message. A whole batch of messages goes in one transaction of
 * a fixed number of statements (statements, not matching, are what costs on the arrival path);
 * idempotent on each message's external id.
 */
@Injectable()
export class InboundService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly customers: CustomersService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async ingest(job: InboundMessageJob): Promise<IngestResult> {
    const [result] = await this.ingestMany([job]);
    return result;
  }

  /** Ingests messages together; answers one result per job, in order. */
  ingestMany(jobs: InboundMessageJob[]): Promise<IngestResult[]> {
    return this.db.transaction((m) => this.ingestIn(m, jobs));
  }

  private async ingestIn(m: EntityManager, jobs: InboundMessageJob[]): Promise<IngestResult[]> {
    const items = jobs.map((job) => ({ job, externalId: `${job.channel}:${job.address}:${job.externalId}`, conversation: `${job.channel}\u0000${job.address}` }));
    const customerIds = await this.customers.resolveMany(
      m,
      jobs.map((j) => ({ kind: IDENTITY_OF_CHANNEL[j.channel], value: j.address, name: j.profile?.name, email: j.profile?.email })),
    );

    // resolveMany holds the address locks from here on, so these checks cannot race with a retry
    const seenRows: { external_id: string }[] = await m.query(`SELECT external_id FROM messages WHERE external_id = ANY($1)`, [
      items.map((i) => i.externalId),
    ]);
    const seen = new Set(seenRows.map((r) => r.external_id));
    const fresh = items.map((item, i) => ({ ...item, customerId: customerIds[i], index: i })).filter((item) => {
      if (seen.has(item.externalId)) return false;
      seen.add(item.externalId); // the same message twice in one batch is stored once
      return true;
    });

    const contacts = new Map<string, IngestedContact>();
    const opened = new Set<string>();
    if (fresh.length) {
      const conversations = [...new Map(fresh.map((f) => [f.conversation, f])).values()];
      const open: any[] = await m.query(
        `SELECT c.id, c.state, c.agent_id, c.queue_id, c.channel, c.address FROM contacts c
           JOIN unnest($1::text[], $2::text[]) AS x(channel, address) ON x.channel = c.channel AND x.address = c.address
          WHERE c.state IN ('queued', 'offered', 'active', 'wrap_up')`,
        [conversations.map((f) => f.job.channel), conversations.map((f) => f.job.address)],
      );
      for (const r of open) contacts.set(`${r.channel}\u0000${r.address}`, toContact(r));
      const toOpen = conversations.filter((f) => !contacts.has(f.conversation)).map((f) => ({ ...f, contactId: randomUUID() }));
      if (toOpen.length) {
        // a returning customer goes to their last agent first, for the queue's sticky window
        const created: any[] = await m.query(
          `INSERT INTO contacts (id, customer_id, channel, address, queue_id, state, created_at, queued_at, queue_entered_at,
                                 preferred_agent_id, preferred_until)
           SELECT x.id, x.customer_id, x.channel, x.address, q.id, 'queued', x.at, x.at, x.at, last.agent_id,
                  CASE WHEN last.agent_id IS NOT NULL AND q.sticky_seconds > 0 THEN x.at + make_interval(secs => q.sticky_seconds) END
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::float8[])
                  AS x0(id, customer_id, channel, address, queue_id, at_ms)
             CROSS JOIN LATERAL (SELECT x0.*, to_timestamp(x0.at_ms / 1000.0) AS at) x
             JOIN queues q ON q.id = x.queue_id
             LEFT JOIN LATERAL (
               SELECT o.agent_id FROM contact_offers o JOIN contacts pc ON pc.id = o.contact_id
                WHERE pc.customer_id = x.customer_id AND o.status = 'accepted' ORDER BY o.resolved_at DESC LIMIT 1) last ON true
           RETURNING id, state, agent_id, queue_id, channel, address, customer_id`,
          [
            toOpen.map((f) => f.contactId),
            toOpen.map((f) => f.customerId),
            toOpen.map((f) => f.job.channel),
            toOpen.map((f) => f.job.address),
            toOpen.map((f) => f.job.queueId),
            toOpen.map((f) => f.job.receivedAt),
          ],
        );
        await m.query(
          `INSERT INTO contact_events (contact_id, type, to_state, actor_type, actor_id, reason)
           SELECT id, 'queued', 'queued', 'customer', customer_id, 'new_contact' FROM unnest($1::uuid[], $2::uuid[]) AS x(id, customer_id)`,
          [created.map((c) => c.id), created.map((c) => c.customer_id)],
        );
        for (const r of created) {
          contacts.set(`${r.channel}\u0000${r.address}`, toContact(r));
          opened.add(r.id);
        }
        const signals: RoutingSignal[] = created.map((r) => ({ t: 'waiting', c: r.id }));
        for (let i = 0; i < signals.length; i += SIGNALS_PER_NOTIFY) await signalRouting(m, this.config.queuePrefix, signals.slice(i, i + SIGNALS_PER_NOTIFY));
      }
    }

    const stored = fresh.filter((f) => contacts.has(f.conversation));
    const rows: { id: string; external_id: string; created_at: Date }[] = stored.length
      ? await m.query(
          `INSERT INTO messages (contact_id, direction, author_type, body, external_id, client_message_id)
           SELECT contact_id, 'inbound', 'customer', body, external_id, client_message_id
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS x(contact_id, body, external_id, client_message_id)
           RETURNING id, external_id, created_at`,
          [stored.map((f) => contacts.get(f.conversation)!.id), stored.map((f) => f.job.text), stored.map((f) => f.externalId), stored.map((f) => f.job.externalId)],
        )
      : [];
    const byExternalId = new Map(rows.map((r) => [r.external_id, r]));
    const results: IngestResult[] = jobs.map(() => ({ duplicate: true }));
    for (const f of stored) {
      const contact = contacts.get(f.conversation)!;
      const row = byExternalId.get(f.externalId)!;
      results[f.index] = {
        duplicate: false,
        opened: opened.has(contact.id),
        contact,
        message: {
          id: row.id,
          contactId: contact.id,
          direction: 'inbound',
          author: { type: 'customer', id: null, name: null },
          text: f.job.text,
          clientMessageId: f.job.externalId,
          createdAt: new Date(row.created_at).toISOString(),
        },
      };
    }
    const unstored = fresh.filter((f) => !contacts.has(f.conversation));
    if (unstored.length) throw new Error(`no queue ${unstored[0].job.queueId} for an inbound message: nothing stored`);
    return results;
  }
}

const toContact = (r: any): IngestedContact => ({
  id: r.id,
  state: r.state,
  agentId: r.agent_id,
  queueId: r.queue_id,
  channel: r.channel,
  address: r.address,
});
