import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { type Channel, type ContactState, type IdentityKind, type InboundMessageJob, type MessageView, OPEN_CONTACT_STATES, routingChannel } from '@cc/shared';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, toMessageView } from './message-view';
import type { ResolvedConfig } from '@cc/config';
import { createCustomersCtes, CustomerResolution, customerWriteValues, CustomersService, type KnownIdentity, knownIdentitiesSql, LOCK_ADDRESSES_SQL } from '@cc/customers';
import { InjectConfig, notifySql, preparedQuery } from '@cc/platform';

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
  channelAddress: string | null;
}

export type IngestResult =
  /** seen before: nothing stored, nothing to deliver */
  | { duplicate: true }
  /** a join-only message (an SMS keyword) with no open contact to join: nothing stored */
  | { duplicate: false; contact: null }
  | {
      duplicate: false;
      contact: IngestedContact;
      /** a new contact was opened (and the router told, at commit) */
      opened: boolean;
      message: MessageView;
    };

const OPEN_STATES = `('queued', 'offered', 'active', 'wrap_up')`;

/** How an inbound message is keyed in `messages.external_id`: the sender's own id, scoped by channel and sender. */
export const inboundExternalId = (job: Pick<InboundMessageJob, 'channel' | 'address' | 'externalId'>) => `${job.channel}:${job.address}:${job.externalId}`;

/**
 * The common inbound path for every channel: recognise the customer, find the open contact the
 * message belongs to or open one, store the message. A whole batch of messages goes in one
 * transaction of a fixed number of statements (statements, not matching, are what costs on the
 * arrival path); idempotent on each message's external id.
 *
 * Which contact a message belongs to: on chat and SMS, the customer's open contact on that channel.
 * Email is threaded instead: a reply joins the contact its headers (In-Reply-To, References) or
 * its plus-address token name, if that contact is the same sender's and still open; a reply to a
 * closed thread opens a contact that follows it; anything else is a new thread. Never by subject.
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
    return this.db.transaction(async (m) => {
      // a join-only message with no open contact to join stores nothing, not even a customer
      const joinOnly = jobs.filter((j) => j.joinOnly);
      const joinable: { channel: string; address: string }[] = joinOnly.length
        ? await m.query(
            `SELECT channel, address FROM contacts JOIN unnest($1::text[], $2::text[]) AS x(ch, addr) ON channel = x.ch AND address = x.addr
              WHERE state IN ${OPEN_STATES} AND channel <> 'email'`,
            [joinOnly.map((j) => j.channel), joinOnly.map((j) => j.address)],
          )
        : [];
      const open = new Set(joinable.map((r) => `${r.channel}\u0000${r.address}`));
      const taken = jobs.filter((j) => !j.joinOnly || open.has(`${j.channel}\u0000${j.address}`));
      const results = taken.length ? await this.ingestIn(m, taken) : [];
      const byJob = new Map(taken.map((j, i) => [j, results[i]]));
      return jobs.map((j) => byJob.get(j) ?? { duplicate: false, contact: null });
    });
  }

  /**
   * In the common case five round trips whatever the batch's size: begin; the address locks; one read
   * of the customers' identities, the messages already stored and the open conversations; one write of
   * new customers, new contacts (with their events and the router's signal) and the messages; commit.
   */
  private async ingestIn(m: EntityManager, jobs: InboundMessageJob[]): Promise<IngestResult[]> {
    const items = jobs.map((job) => ({ job, externalId: inboundExternalId(job), conversation: `${job.channel}\u0000${job.address}` }));
    const resolution = new CustomerResolution(
      jobs.map((j) => ({ kind: IDENTITY_OF_CHANNEL[j.channel], value: j.address, name: j.profile?.name, email: j.profile?.email })),
    );
    await preparedQuery(m, LOCK_ADDRESSES_SQL, [resolution.lockKeys]);

    // Under the locks, so these reads cannot race with a retry or a first contact from the same address.
    // `channel <> 'email'` lets the open-conversation lookup use the one-open-conversation-per-address index, which leaves email out.
    const byAddress = [...new Map(items.filter((i) => i.job.channel !== 'email').map((i) => [i.conversation, i])).values()];
    const [known] = await preparedQuery<{ identities: KnownIdentity[]; seen: string[]; open: any[] }>(
      m,
      `SELECT ${knownIdentitiesSql('$4', '$5')} AS identities,
              (SELECT COALESCE(json_agg(external_id), '[]') FROM messages WHERE external_id = ANY($1)) AS seen,
              (SELECT COALESCE(json_agg(json_build_object('id', c.id, 'state', c.state, 'agent_id', c.agent_id, 'queue_id', c.queue_id,
                                                          'channel', c.channel, 'address', c.address, 'channel_address', c.channel_address)), '[]')
                 FROM contacts c JOIN unnest($2::text[], $3::text[]) AS x(channel, address) ON x.channel = c.channel AND x.address = c.address
                WHERE c.state IN ${OPEN_STATES} AND c.channel <> 'email') AS open`,
      [items.map((i) => i.externalId), byAddress.map((i) => i.job.channel), byAddress.map((i) => i.job.address), resolution.lookup.kinds, resolution.lookup.values],
    );
    const { customerIds, writes } = resolution.decide(known.identities);
    await this.customers.learnProfiles(m, writes.profileUpdates);

    const seen = new Set(known.seen);
    const fresh = items
      .map((item, i) => ({ ...item, customerId: customerIds[i], index: i, follows: null as string | null }))
      .filter((item) => {
        if (seen.has(item.externalId)) return false;
        seen.add(item.externalId); // the same message twice in one batch is stored once
        return true;
      });

    // each message's contact: an open one it joins, or one this statement opens
    const contacts = new Map<string, IngestedContact>();
    await this.threadEmails(m, fresh, contacts);
    for (const r of known.open) contacts.set(`${r.channel}\u0000${r.address}`, toContact(r));
    const conversations = [...new Map(fresh.map((f) => [f.conversation, f])).values()];
    const toOpen = conversations.filter((f) => !contacts.has(f.conversation) && !f.job.joinOnly).map((f) => ({ ...f, contactId: randomUUID() }));
    const opening = new Map(toOpen.map((f) => [f.conversation, f.contactId]));
    const contactIdOf = (conversation: string) => contacts.get(conversation)?.id ?? opening.get(conversation);
    const toStore = fresh.filter((f) => contactIdOf(f.conversation));

    const opened = new Set<string>();
    let rows: { id: string; external_id: string; created_at: string }[] = [];
    if (writes.newIdentities.length || toStore.length) {
      // A returning customer goes to their last agent first, for the queue's sticky window, if they were
      // last served within the reopen window. The router hears of new contacts in NOTIFYs of at most
      // SIGNALS_PER_NOTIFY signals each. A message whose new contact was not opened (no such queue) is not stored.
      const [written] = await preparedQuery<{ created: any[]; stored: typeof rows }>(
        m,
        `WITH ${createCustomersCtes(11)}, created AS (
           INSERT INTO contacts (id, customer_id, channel, address, channel_address, follows_contact_id, queue_id, state, created_at,
                                 queued_at, queue_entered_at, preferred_agent_id, preferred_until)
           SELECT x.id, x.customer_id, x.channel, x.address, x.channel_address, x.follows, q.id, 'queued', x.at, x.at, x.at, last.agent_id,
                  CASE WHEN last.agent_id IS NOT NULL AND q.sticky_seconds > 0 THEN x.at + make_interval(secs => q.sticky_seconds) END
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::float8[], $7::text[], $8::uuid[])
                  AS x0(id, customer_id, channel, address, queue_id, at_ms, channel_address, follows)
             CROSS JOIN LATERAL (SELECT x0.*, to_timestamp(x0.at_ms / 1000.0) AS at) x
             JOIN queues q ON q.id = x.queue_id
             LEFT JOIN LATERAL (
               SELECT o.agent_id FROM contact_offers o JOIN contacts pc ON pc.id = o.contact_id
                WHERE pc.customer_id = x.customer_id AND o.status = 'accepted'
                  AND (pc.closed_at IS NULL OR pc.closed_at > x.at - make_interval(secs => $9))
                ORDER BY o.resolved_at DESC LIMIT 1) last ON true
           RETURNING id, state, agent_id, queue_id, channel, address, customer_id, channel_address, follows_contact_id
         ), events AS (
           INSERT INTO contact_events (contact_id, type, to_state, actor_type, actor_id, reason, data)
           SELECT id, 'queued', 'queued', 'customer', customer_id, 'new_contact',
                  CASE WHEN follows_contact_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('followsContactId', follows_contact_id) END
             FROM created
         ), signalled AS (
           SELECT ${notifySql('$10', `json_agg(json_build_object('t', 'waiting', 'c', id))`)}
             FROM (SELECT id, (row_number() OVER () - 1) / ${SIGNALS_PER_NOTIFY} AS chunk FROM created) numbered GROUP BY chunk
         ), stored AS (
           INSERT INTO messages (contact_id, direction, author_type, body, external_id, client_message_id, subject, html, full_body, provider_message_id)
           SELECT contact_id, 'inbound', 'customer', body, external_id, client_message_id, subject, html, full_body, provider_message_id
             FROM jsonb_to_recordset($18::jsonb)
                  AS x(contact_id uuid, body text, external_id text, client_message_id text, subject text, html text, full_body text, provider_message_id text)
            WHERE x.contact_id IN (SELECT id FROM created) OR x.contact_id = ANY($19::uuid[])
           RETURNING id, external_id, created_at
         )
         SELECT (SELECT COALESCE(json_agg(created), '[]') FROM created) AS created,
                (SELECT COALESCE(json_agg(stored), '[]') FROM stored) AS stored,
                (SELECT count(*) FROM signalled) AS notifications`,
        [
          toOpen.map((f) => f.contactId),
          toOpen.map((f) => f.customerId),
          toOpen.map((f) => f.job.channel),
          toOpen.map((f) => f.job.address),
          toOpen.map((f) => f.job.queueId),
          toOpen.map((f) => f.job.receivedAt),
          toOpen.map((f) => f.job.channelAddress ?? null),
          toOpen.map((f) => f.follows),
          this.config.reopenWindowSeconds,
          routingChannel(this.config.queuePrefix),
          ...customerWriteValues(writes),
          JSON.stringify(
            toStore.map((f) => ({
              contact_id: contactIdOf(f.conversation),
              body: f.job.text,
              external_id: f.externalId,
              client_message_id: f.job.externalId,
              subject: f.job.content?.subject ?? null,
              html: f.job.content?.html ?? null,
              full_body: f.job.content?.fullText ?? null,
              provider_message_id: f.job.providerMessageId ?? null,
            })),
          ),
          [...contacts.values()].map((c) => c.id),
        ],
      );
      const conversationOf = new Map(toOpen.map((f) => [f.contactId, f.conversation]));
      for (const r of written.created) {
        contacts.set(conversationOf.get(r.id)!, toContact(r));
        opened.add(r.id);
      }
      rows = written.stored;
    }
    const stored = toStore.filter((f) => contacts.has(f.conversation));
    const byExternalId = new Map(rows.map((r) => [r.external_id, r]));
    const withAttachments = stored.filter((f) => f.job.content?.attachments?.length);
    if (withAttachments.length) {
      await m.query(
        `INSERT INTO message_attachments (message_id, position, filename, content_type, size, content, url)
         SELECT message_id, position, filename, content_type, size, decode(content_base64, 'base64'), url
           FROM jsonb_to_recordset($1::jsonb)
                AS x(message_id uuid, position int, filename text, content_type text, size int, content_base64 text, url text)`,
        [
          JSON.stringify(
            withAttachments.flatMap((f) =>
              f.job.content!.attachments!.map((a, position) => ({
                message_id: byExternalId.get(f.externalId)!.id,
                position,
                filename: a.filename,
                content_type: a.contentType,
                size: a.size,
                content_base64: a.contentBase64,
                url: a.url ?? null,
              })),
            ),
          ),
        ],
      );
    }
    // messages with more than text are read back whole; a plain chat message is built here, as before
    const rich = new Map<string, MessageView>(
      withAttachments.length || stored.some((f) => f.job.content)
        ? ((await m.query(`SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN} WHERE m.id = ANY($1)`, [
            stored.filter((f) => f.job.content).map((f) => byExternalId.get(f.externalId)!.id),
          ])) as MessageRow[]).map((r) => [r.id, toMessageView(r)])
        : [],
    );

    const results: IngestResult[] = jobs.map(() => ({ duplicate: true }));
    for (const f of fresh) if (!contacts.has(f.conversation)) results[f.index] = { duplicate: false, contact: null };
    for (const f of stored) {
      const contact = contacts.get(f.conversation)!;
      const row = byExternalId.get(f.externalId)!;
      results[f.index] = {
        duplicate: false,
        opened: opened.has(contact.id),
        contact,
        message: rich.get(row.id) ?? {
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
    const unstored = fresh.filter((f) => !contacts.has(f.conversation) && !f.job.joinOnly);
    if (unstored.length) throw new Error(`no queue ${unstored[0].job.queueId} for an inbound message: nothing stored`);
    return results;
  }

  /**
   * Gives each email its conversation: the open contact of the thread it replies to, or a new one
   * (which follows the thread's closed contact, if it replies to one).
   */
  private async threadEmails(
    m: EntityManager,
    fresh: { job: InboundMessageJob; externalId: string; conversation: string; follows: string | null; index: number }[],
    contacts: Map<string, IngestedContact>,
  ): Promise<void> {
    const emails = fresh.filter((f) => f.job.channel === 'email');
    if (!emails.length) return;
    const replies = emails.filter((f) => f.job.thread && (f.job.thread.contactToken || f.job.thread.references.length));
    const threads: any[] = replies.length
      ? await m.query(
          `SELECT x.i, t.* FROM jsonb_to_recordset($1::jsonb) AS x(i int, address text, token uuid, refs text[])
           CROSS JOIN LATERAL (
             SELECT c.id, c.state, c.agent_id, c.queue_id, c.channel, c.address, c.channel_address FROM contacts c
              WHERE c.channel = 'email' AND c.address = x.address
                AND (c.id = x.token OR c.id IN (SELECT mm.contact_id FROM messages mm WHERE mm.provider_message_id = ANY(x.refs)))
              ORDER BY c.state IN ${OPEN_STATES} DESC, c.created_at DESC LIMIT 1) t`,
          [JSON.stringify(replies.map((f) => ({ i: f.index, address: f.job.address, token: f.job.thread!.contactToken, refs: f.job.thread!.references })))],
        )
      : [];
    const threadOf = new Map(threads.map((t) => [t.i as number, t]));
    for (const f of emails) {
      const thread = threadOf.get(f.index);
      if (thread && OPEN_CONTACT_STATES.includes(thread.state)) {
        f.conversation = `email\u0000contact:${thread.id}`;
        contacts.set(f.conversation, toContact(thread));
      } else {
        f.conversation = `email\u0000new:${f.externalId}`;
        f.follows = thread?.id ?? null;
      }
    }
  }
}

const toContact = (r: any): IngestedContact => ({
  id: r.id,
  state: r.state,
  agentId: r.agent_id,
  queueId: r.queue_id,
  channel: r.channel,
  address: r.address,
  channelAddress: r.channel_address ?? null,
});
