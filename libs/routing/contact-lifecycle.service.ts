import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import {
  type AgentContactView,
  type Channel,
  type ContactState,
  DomainError,
  ErrorCode,
  type MessageView,
  OPEN_CONTACT_STATES,
  type RoutingSignal,
  routingChannel,
} from '@cc/shared';
import { InjectConfig, MicroBatcher, notifySql, preparedQuery, RealtimeService, signalRouting, updateReturning } from '@cc/platform';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, recordContactEvent, toMessageView } from '@cc/contacts';
import { OfferViewsService } from './offer-views.service';
import { CONTACT_VIEW_COLUMNS, CONTACT_VIEW_JOIN, type ContactViewRow, toContactView } from './agent-views';
import { releaseCapacity } from './capacity';
import { CustomerChannelService } from './customer-channel.service';
import { answersByAgent } from './batch-answers';

export interface HeldContact {
  id: string;
  channel: Channel;
  address: string;
  queue_id: string;
  state: ContactState;
  agent_id: string | null;
  pending_transfer: { toQueueId?: string; toAgentId?: string; fromAgentId: string } | null;
}
export const HELD_COLUMNS = 'id, channel, address, queue_id, state, agent_id, pending_transfer';

interface AnsweredOffer {
  id: string;
  contact_id: string;
  agent_id: string;
  kind: 'route' | 'transfer';
}

/** HELD_COLUMNS of the contact aliased `c`, for an UPDATE whose FROM has columns of the same names. */
const HELD_COLUMNS_OF_C = HELD_COLUMNS.split(', ').map((col) => `c.${col}`).join(', ');

/** Most agent commands of one kind in one statement. */
const COMMAND_BATCH = 100;

interface WrapUp {
  agentId: string;
  contactId: string;
  disposition: string;
  note: string | null;
}

/** A contact closed after wrap-up (its agent_id is now null), with the agent who closed it. */
type ClosedContact = HeldContact & { closed_by: string };

/** A routed contact the agent accepted, with the agent's view of it. */
type FastAccept = HeldContact & ContactViewRow & { customer_id: string; agent_name: string };

/**
 * The contact state machine past the queue: offers accepted, rejected or expired (for routing and
 * for warm transfers), the agent's messages, ending and wrap-up, and the customer leaving. Every
 * transition is one transaction that checks the state it starts from (so a late or repeated command
 * changes nothing), moves the agent's capacity, appends the contact event, and signals the router.
 */
@Injectable()
export class ContactLifecycleService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly views: OfferViewsService,
    private readonly realtime: RealtimeService,
    private readonly customers: CustomerChannelService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /**
   * Accepts, ends and wrap-ups arriving close together (from any agents) go to the database as one statement
   * per kind: whatever queues up while this process's statement of that kind runs goes into the next,
   * so statements per contact fall as load rises, and a lone command still goes at once. A failed
   * batch is retried one by one.
   */
  private readonly acceptBatches = new MicroBatcher<{ agentId: string; offerId: string }, FastAccept | undefined>((items) => this.acceptRouted(items), COMMAND_BATCH, 1);
  private readonly endBatches = new MicroBatcher<{ agentId: string; contactId: string }, HeldContact | undefined>((items) => this.endActive(items), COMMAND_BATCH, 1);
  private readonly wrapUpBatches = new MicroBatcher<WrapUp, ClosedContact | undefined>((items) => this.closeWrappedUp(items), COMMAND_BATCH, 1);

  /**
   * The common accept, for a batch: a routed contact whose offer is answered in time goes active, and
   * the statement answers with the agent's view of it. Anything else (a warm transfer, a repeat, a
   * late answer) answers undefined, for the full path. The contact moves first: a concurrent expiry
   * or a second accept waits on its row, then finds it moved.
   */
  private async acceptRouted(items: { agentId: string; offerId: string }[]): Promise<(FastAccept | undefined)[]> {
    const rows = await preparedQuery<FastAccept & { offer_id: string }>(
      this.db,
      `WITH contact AS (
         UPDATE contacts c SET state = 'active', answered_at = COALESCE(c.answered_at, now()), updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS x(offer_id, agent_id)
           JOIN contact_offers o ON o.id = x.offer_id AND o.agent_id = x.agent_id AND o.status = 'pending' AND o.kind = 'route' AND o.expires_at > now()
          WHERE c.id = o.contact_id AND c.state = 'offered' AND c.agent_id = x.agent_id
         RETURNING ${HELD_COLUMNS_OF_C}, c.customer_id, x.offer_id
       ), offer AS (
         UPDATE contact_offers SET status = 'accepted', resolved_at = now() WHERE id IN (SELECT offer_id FROM contact)
       ), missed AS (
         UPDATE agents SET missed_offers = 0 WHERE user_id IN (SELECT agent_id FROM contact) AND missed_offers <> 0
       ), event AS (
         INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, actor_id, data)
         SELECT id, 'accepted', 'offered', 'active', 'agent', agent_id, jsonb_build_object('offerId', offer_id) FROM contact
       )
       SELECT c.*, ${CONTACT_VIEW_COLUMNS}, (SELECT name FROM users WHERE id = c.agent_id) AS agent_name,
              ${notifySql('$3', `json_build_array(json_build_object('t', 'offer_done', 'o', c.offer_id, 'c', c.id, 'a', c.agent_id))`)} AS signalled
         FROM contact c ${CONTACT_VIEW_JOIN}`,
      [items.map((i) => i.offerId), items.map((i) => i.agentId), routingChannel(this.config.queuePrefix)],
    );
    return answersByAgent(items, (i) => i.offerId, rows, (r) => r.agent_id!, (r) => r.offer_id);
  }

  /** An agent's active contact goes to wrap-up, for a batch; undefined where it was not theirs and active with no transfer pending. */
  private async endActive(items: { agentId: string; contactId: string }[]): Promise<(HeldContact | undefined)[]> {
    const rows = await preparedQuery<HeldContact>(
      this.db,
      `WITH c AS (
         UPDATE contacts c SET state = 'wrap_up', updated_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS x(contact_id, agent_id)
          WHERE c.id = x.contact_id AND c.agent_id = x.agent_id AND c.state = 'active' AND c.pending_transfer IS NULL
         RETURNING ${HELD_COLUMNS_OF_C}
       ), event AS (
         INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, actor_id)
         SELECT id, 'wrap_up', 'active', 'wrap_up', 'agent', agent_id FROM c
       )
       SELECT * FROM c`,
      [items.map((i) => i.contactId), items.map((i) => i.agentId)],
    );
    return answersByAgent(items, (i) => i.contactId, rows, (r) => r.agent_id!, (r) => r.id);
  }

  /** Runs work in a transaction and signals the routing leader from inside it. */
  transaction<T>(work: (m: EntityManager, signals: RoutingSignal[]) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      const signals: RoutingSignal[] = [];
      const result = await work(m, signals);
      await signalRouting(m, this.config.queuePrefix, signals);
      return result;
    });
  }

  /**
   * The agent takes the offer. The common case (a routed contact, answered in time) is one statement,
   * shared with the other accepts arriving meanwhile, which also reads back the agent's view of the
   * contact; a warm transfer, a repeat or a late answer takes the full path below.
   */
  async accept(agentId: string, offerId: string, origin?: string): Promise<AgentContactView> {
    const fast = await this.acceptBatches.submit({ agentId, offerId });
    if (fast) {
      // the statement answered with the agent's view too: no second trip
      const view = toContactView(fast);
      await this.stateChanged(fast.id, agentId, 'active', 'accepted', origin);
      await this.customers.send(fast, 'conversation:state', { contactId: fast.id, state: 'active', agentName: fast.agent_name });
      return view;
    }
    const outcome = await this.transaction(async (m, signals) => {
      const [offer] = await updateReturning<AnsweredOffer>(
        m,
        `UPDATE contact_offers SET status = 'accepted', resolved_at = now()
          WHERE id = $1 AND agent_id = $2 AND status = 'pending' AND expires_at > now() RETURNING id, contact_id, agent_id, kind`,
        [offerId, agentId],
      );
      if (!offer) {
        // a repeated accept (say, a retry after a lost acknowledgement) gets the same answer
        const [again] = await m.query(
          `SELECT c.id FROM contact_offers o JOIN contacts c ON c.id = o.contact_id
            WHERE o.id = $1 AND o.agent_id = $2 AND o.status = 'accepted' AND c.agent_id = $2`,
          [offerId, agentId],
        );
        if (again) return { contactId: again.id as string, repeated: true, contact: null, previousAgentId: null };
        throw await this.offerProblem(m, agentId, offerId);
      }
      signals.push({ t: 'offer_done', o: offerId, c: offer.contact_id, a: agentId });
      await m.query(`UPDATE agents SET missed_offers = 0 WHERE user_id = $1`, [agentId]);
      if (offer.kind === 'transfer') {
        // warm transfer completes: the contact moves to the new agent, the first one lets go
        const [before] = await m.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE`, [offer.contact_id]);
        if (before.state !== 'active' || !before.pending_transfer) throw new DomainError(ErrorCode.InvalidState, 'the transfer was withdrawn');
        const [c] = await updateReturning<HeldContact>(
          m,
          `UPDATE contacts SET agent_id = $2, pending_transfer = NULL, queue_id = COALESCE($3, queue_id), updated_at = now()
            WHERE id = $1 RETURNING ${HELD_COLUMNS}`,
          [offer.contact_id, agentId, before.pending_transfer.toQueueId ?? null],
        );
        signals.push(await releaseCapacity(m, before.agent_id, c.channel));
        await recordContactEvent(m, {
          contactId: c.id,
          type: 'transfer_accepted',
          from: 'active',
          to: 'active',
          actor: { type: 'agent', id: agentId },
          reason: 'warm_transfer',
          data: { offerId, fromAgentId: before.agent_id, toAgentId: agentId },
        });
        return { contactId: c.id, repeated: false, contact: c, previousAgentId: before.agent_id as string };
      }
      const [c] = await updateReturning<HeldContact>(
        m,
        `UPDATE contacts SET state = 'active', answered_at = COALESCE(answered_at, now()), updated_at = now()
          WHERE id = $1 AND state = 'offered' AND agent_id = $2 RETURNING ${HELD_COLUMNS}`,
        [offer.contact_id, agentId],
      );
      if (!c) throw new DomainError(ErrorCode.InvalidState, 'the contact is no longer offered to you');
      await recordContactEvent(m, { contactId: c.id, type: 'accepted', from: 'offered', to: 'active', actor: { type: 'agent', id: agentId }, data: { offerId } });
      return { contactId: c.id, repeated: false, contact: c, previousAgentId: null };
    });
    const view = await this.views.contact(outcome.contactId);
    if (outcome.repeated || !outcome.contact) return view;
    await this.stateChanged(outcome.contactId, agentId, 'active', 'accepted', origin);
    if (outcome.previousAgentId) {
      await this.realtime.toAgent(outcome.previousAgentId, 'contact:released', { contactId: outcome.contactId, reason: 'transferred' });
    }
    const [{ name }] = await this.db.query(`SELECT name FROM users WHERE id = $1`, [agentId]);
    await this.customers.send(outcome.contact, 'conversation:state', { contactId: outcome.contactId, state: 'active', agentName: name });
    return view;
  }

  async reject(agentId: string, offerId: string, reason: string): Promise<void> {
    const outcome = await this.transaction(async (m, signals) => {
      const [offer] = await updateReturning<AnsweredOffer>(
        m,
        `UPDATE contact_offers SET status = 'rejected', reason = $3, resolved_at = now()
          WHERE id = $1 AND agent_id = $2 AND status = 'pending' RETURNING id, contact_id, agent_id, kind`,
        [offerId, agentId, reason],
      );
      if (!offer) throw await this.offerProblem(m, agentId, offerId);
      return this.returnOffer(m, signals, offer, { type: 'rejected', actor: { type: 'agent', id: agentId }, reason });
    });
    await this.afterReturn(outcome);
  }

  /** The offer's time ran out: a contact goes back to waiting, and the agent is marked as having missed it. */
  async expireOffer(offerId: string): Promise<boolean> {
    const outcome = await this.transaction(async (m, signals) => {
      // a little slack for clock skew between the timer and the database
      const [offer] = await updateReturning<AnsweredOffer>(
        m,
        `UPDATE contact_offers SET status = 'expired', reason = 'timeout', resolved_at = now()
          WHERE id = $1 AND status = 'pending' AND expires_at <= now() + interval '250 milliseconds'
          RETURNING id, contact_id, agent_id, kind`,
        [offerId],
      );
      if (!offer) return null;
      const returned = await this.returnOffer(m, signals, offer, { type: 'offer_timeout', actor: { type: 'system' }, reason: 'timeout' });
      const [agent] = await updateReturning(m, `UPDATE agents SET missed_offers = missed_offers + 1 WHERE user_id = $1 RETURNING missed_offers`, [
        offer.agent_id,
      ]);
      let setAway = false;
      if (agent.missed_offers >= this.config.offerMissesBeforeAway) {
        // the agent state log records the system, not the agent, as who set them away
        await m.query(`SELECT set_config('cc.actor', 'system:', true)`);
        const [away] = await updateReturning(
          m,
          `UPDATE agents SET presence = 'away', away_reason = 'missed_offers', presence_since = now()
            WHERE user_id = $1 AND presence = 'available' RETURNING user_id`,
          [offer.agent_id],
        );
        setAway = !!away;
        if (setAway) signals.push({ t: 'agent', a: offer.agent_id });
      }
      return { ...returned, setAway };
    });
    if (!outcome) return false;
    await this.realtime.toAgent(outcome.agentId, 'offer:revoked', { offerId, contactId: outcome.contactId, reason: 'timeout' });
    if (outcome.setAway) await this.realtime.toAgent(outcome.agentId, 'presence:changed', { presence: 'away', awayReason: 'missed_offers' });
    await this.afterReturn(outcome);
    return true;
  }

  /** Safety net for lost timers: expires every offer well past its time. */
  async expireOverdueOffers(): Promise<number> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contact_offers WHERE status = 'pending' AND expires_at < now() - interval '2 seconds' LIMIT 500`,
    );
    let expired = 0;
    for (const r of rows) if (await this.expireOffer(r.id)) expired++;
    return expired;
  }

  /**
   * The agent's reply to the customer. Idempotent on the agent's client message id. On SMS and email
   * it is stored as pending delivery; an SMS to a number that opted out is refused.
   */
  async sendAgentMessage(agentId: string, contactId: string, clientMessageId: string, text: string): Promise<MessageView> {
    const externalId = `agent:${agentId}:${clientMessageId}`;
    const [inserted] = await this.db.query(
      `INSERT INTO messages (contact_id, direction, author_type, author_id, body, external_id, client_message_id, delivery_status)
       SELECT id, 'outbound', 'agent', $2, $3, $4, $5, CASE WHEN channel IN ('sms', 'email') THEN 'pending' END
         FROM contacts c WHERE id = $1 AND agent_id = $2 AND state = 'active'
          AND NOT (c.channel = 'sms' AND EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.address = c.address))
       ON CONFLICT (external_id) DO NOTHING RETURNING id`,
      [contactId, agentId, text, externalId, clientMessageId],
    );
    const [row]: MessageRow[] = await this.db.query(
      `SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN} WHERE m.external_id = $1`,
      [externalId],
    );
    if (row && row.contact_id !== contactId) {
      throw new DomainError(ErrorCode.Conflict, `clientMessageId ${clientMessageId} was already used for another message`);
    }
    if (!row) {
      const [optOut] = await this.db.query(
        `SELECT o.keyword, o.created_at FROM contacts c JOIN sms_opt_outs o ON o.address = c.address
          WHERE c.id = $1 AND c.agent_id = $2 AND c.channel = 'sms'`,
        [contactId, agentId],
      );
      if (optOut) {
        throw new DomainError(
          ErrorCode.OptedOut,
          `the customer opted out of SMS (texted ${optOut.keyword} at ${new Date(optOut.created_at).toISOString()}); no SMS can be sent until they text START`,
        );
      }
      throw await this.contactProblem(agentId, contactId, 'active');
    }
    const message = toMessageView(row);
    if (inserted) {
      await this.customers.send(await this.held(contactId), 'message', message);
      await this.realtime.toMonitors(contactId, 'message', message);
    }
    return message;
  }

  async agentTyping(agentId: string, contactId: string, isTyping: boolean): Promise<void> {
    const [contact]: HeldContact[] = await this.db.query(
      `SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 AND agent_id = $2 AND state = 'active'`,
      [contactId, agentId],
    );
    if (!contact) throw await this.contactProblem(agentId, contactId, 'active');
    await this.customers.send(contact, 'typing', { isTyping });
  }

  /**
   * The agent ends the conversation; they keep the contact (and its capacity) for wrap-up. One
   * statement, shared with the other ends arriving meanwhile.
   */
  async end(agentId: string, contactId: string, origin?: string): Promise<void> {
    const contact = await this.endBatches.submit({ agentId, contactId });
    if (!contact) throw await this.contactProblem(agentId, contactId, 'active, with no transfer pending');
    await this.stateChanged(contactId, agentId, 'wrap_up', 'ended_by_agent', origin);
    await this.customers.send(contact, 'conversation:state', { contactId, state: 'wrap_up', agentName: null });
  }

  /**
   * Wrap-up done: the contact closes with its disposition and note, the agent's capacity frees (and
   * they become idle if that was their last contact), the router is told. One statement, shared with
   * the other wrap-ups arriving meanwhile.
   */
  async wrapUp(agentId: string, contactId: string, disposition: string, note: string | null, origin?: string): Promise<void> {
    const contact = await this.wrapUpBatches.submit({ agentId, contactId, disposition, note });
    if (!contact) throw await this.contactProblem(agentId, contactId, 'active or wrap_up, with no transfer pending');
    await this.stateChanged(contactId, agentId, 'closed', 'wrap_up_done', origin);
    await this.customers.send(contact, 'conversation:state', { contactId, state: 'closed', agentName: null });
  }

  /**
   * Closes a batch of wrapped-up contacts; undefined where the contact was not the agent's, or not
   * active or in wrap-up with no transfer pending. Of one command sent twice only the first counts.
   *
   * One agent may close several contacts in one batch, and an UPDATE ... FROM changes a row once
   * however many input rows match it: capacity is released per agent and channel, by the number
   * closed. The router hears one signal per agent and channel for the same reason: PostgreSQL
   * delivers identical notifications of one transaction only once.
   */
  private async closeWrappedUp(items: WrapUp[]): Promise<(ClosedContact | undefined)[]> {
    const rows = await preparedQuery<ClosedContact>(
      this.db,
      `WITH x AS (
         SELECT DISTINCT ON (contact_id, agent_id) contact_id, agent_id, disposition, note
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) WITH ORDINALITY AS x(contact_id, agent_id, disposition, note, n)
          ORDER BY contact_id, agent_id, n
       ), before AS (
         SELECT c.id, c.state FROM contacts c JOIN x ON c.id = x.contact_id AND c.agent_id = x.agent_id
          WHERE c.state IN ('active', 'wrap_up') AND c.pending_transfer IS NULL
       ), c AS (
         UPDATE contacts c SET state = 'closed', agent_id = NULL, disposition = x.disposition, wrap_up_note = x.note, closed_at = now(), updated_at = now()
           FROM x WHERE c.id = x.contact_id AND c.agent_id = x.agent_id AND c.state IN ('active', 'wrap_up') AND c.id IN (SELECT id FROM before)
         RETURNING ${HELD_COLUMNS_OF_C}, x.agent_id AS closed_by, x.disposition, x.note
       ), freed AS (
         SELECT closed_by AS agent_id, channel, count(*)::int AS n FROM c GROUP BY 1, 2
       ), released AS (
         -- the same release as releaseCapacity() in capacity.ts, for many at once
         UPDATE agent_capacities a SET load = a.load - f.n FROM freed f WHERE a.agent_id = f.agent_id AND a.channel = f.channel
       ), idle AS (
         -- every statement here sees the loads from before the release: idle when all of them were freed
         UPDATE agents SET idle_since = now() FROM (SELECT agent_id, sum(n) AS n FROM freed GROUP BY 1) f
          WHERE user_id = f.agent_id AND (SELECT sum(load) FROM agent_capacities WHERE agent_id = f.agent_id) = f.n
         RETURNING user_id
       ), event AS (
         INSERT INTO contact_events (contact_id, type, from_state, to_state, actor_type, actor_id, reason, data)
         SELECT c.id, 'closed', before.state, 'closed', 'agent', c.closed_by, 'wrap_up_done', jsonb_build_object('disposition', c.disposition, 'note', c.note)
           FROM c JOIN before ON before.id = c.id
       ), signal AS (
         SELECT ${notifySql(
           '$5',
           `json_build_array(json_build_object('t', 'load', 'a', f.agent_id, 'ch', f.channel, 'd', -f.n, 'idle', EXISTS (SELECT 1 FROM idle WHERE user_id = f.agent_id)))`,
         )} FROM freed f
       )
       SELECT c.*, (SELECT count(*) FROM signal) AS signalled FROM c`,
      [items.map((i) => i.contactId), items.map((i) => i.agentId), items.map((i) => i.disposition), items.map((i) => i.note), routingChannel(this.config.queuePrefix)],
    );
    return answersByAgent(items, (i) => i.contactId, rows, (r) => r.closed_by, (r) => r.id);
  }

  /**
   * The customer left (closed the chat). Waiting or offered contacts are abandoned; a conversation
   * in progress stays with its agent, who is told.
   */
  async customerLeft(channel: Channel, address: string): Promise<void> {
    const outcome = await this.transaction(async (m, signals) => {
      const [c]: HeldContact[] = await m.query(
        `SELECT ${HELD_COLUMNS} FROM contacts
          WHERE channel = $1 AND address = $2 AND state IN ('queued', 'offered', 'active', 'wrap_up') FOR UPDATE`,
        [channel, address],
      );
      if (!c) return null;
      const actor = { type: 'customer' as const };
      if (c.state === 'active' || c.state === 'wrap_up') {
        await recordContactEvent(m, { contactId: c.id, type: 'customer_left', actor, reason: 'customer_left' });
        return { contactId: c.id, agentId: c.agent_id, state: c.state, revokedOfferId: null };
      }
      let revokedOfferId: string | null = null;
      if (c.state === 'offered') {
        const [offer] = await updateReturning(
          m,
          `UPDATE contact_offers SET status = 'revoked', reason = 'customer_left', resolved_at = now()
            WHERE contact_id = $1 AND status = 'pending' RETURNING id`,
          [c.id],
        );
        revokedOfferId = offer?.id ?? null;
        if (revokedOfferId) signals.push({ t: 'offer_done', o: revokedOfferId, c: c.id, a: c.agent_id! });
        signals.push(await releaseCapacity(m, c.agent_id!, channel));
      }
      signals.push({ t: 'gone', c: c.id });
      await m.query(`UPDATE contacts SET state = 'abandoned', agent_id = NULL, closed_at = now(), updated_at = now() WHERE id = $1`, [c.id]);
      await recordContactEvent(m, { contactId: c.id, type: 'abandoned', from: c.state, to: 'abandoned', actor, reason: 'customer_left' });
      return { contactId: c.id, agentId: c.agent_id, state: 'abandoned' as ContactState, revokedOfferId };
    });
    if (!outcome) return;
    if (outcome.state === 'abandoned') {
      await this.customers.send({ channel, address }, 'conversation:state', { contactId: outcome.contactId, state: 'abandoned', agentName: null });
      await this.realtime.toMonitors(outcome.contactId, 'contact:state', { contactId: outcome.contactId, state: 'abandoned', reason: 'customer_left' });
    }
    if (!outcome.agentId) return;
    if (outcome.revokedOfferId) {
      await this.realtime.toAgent(outcome.agentId, 'offer:revoked', { offerId: outcome.revokedOfferId, contactId: outcome.contactId, reason: 'customer_left' });
    } else {
      await this.stateChanged(outcome.contactId, outcome.agentId, outcome.state, 'customer_left');
    }
  }

  /**
   * Takes a contact from its agent, or from the agent it is offered to, back into its queue; with
   * `toAgentId`, offered only to that agent for the transfer window. The customer's wait keeps
   * counting, so the contact is near the head of its queue. Why: a supervisor requeued or
   * reassigned it, or (voice) the agent's phone could not be reached.
   */
  async requeue(
    contactId: string,
    opts: { actor: { type: 'supervisor' | 'admin' | 'system'; id: string | null }; why: 'requeued' | 'reassigned' | 'agent_unreachable'; toAgentId?: string },
  ): Promise<void> {
    const { actor, why, toAgentId } = opts;
    const reason = actor.type === 'system' ? why : 'supervisor';
    const outcome = await this.transaction(async (m, signals) => {
      const [c]: HeldContact[] = await m.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE`, [contactId]);
      if (!c) throw new DomainError(ErrorCode.NotFound, `contact ${contactId} not found`);
      if (!OPEN_CONTACT_STATES.includes(c.state)) throw new DomainError(ErrorCode.InvalidState, `contact ${contactId} is ${c.state}`);
      if (c.pending_transfer) throw new DomainError(ErrorCode.InvalidState, 'a warm transfer of this contact is in progress');
      if (toAgentId) {
        const [target] = await m.query(`SELECT 1 FROM agents a JOIN users u ON u.id = a.user_id WHERE a.user_id = $1 AND u.active`, [toAgentId]);
        if (!target) throw new DomainError(ErrorCode.NotFound, `agent ${toAgentId} not found`);
        if (toAgentId === c.agent_id) throw new DomainError(ErrorCode.ValidationFailed, 'the contact is already with that agent');
      }
      const [revoked] =
        c.state === 'offered'
          ? await updateReturning<{ id: string; agent_id: string }>(
              m,
              `UPDATE contact_offers SET status = 'revoked', reason = $2, resolved_at = now()
                WHERE contact_id = $1 AND status = 'pending' RETURNING id, agent_id`,
              [contactId, reason],
            )
          : [];
      // an offered contact holds its agent's capacity too
      if (c.agent_id) signals.push(await releaseCapacity(m, c.agent_id, c.channel));
      await m.query(
        `UPDATE contacts SET state = 'queued', agent_id = NULL, queue_entered_at = now(), routing_step = 0,
                preferred_agent_id = $2::uuid, preferred_direct = $2::uuid IS NOT NULL,
                preferred_until = CASE WHEN $2::uuid IS NULL THEN NULL ELSE now() + make_interval(secs => $3) END, updated_at = now()
          WHERE id = $1`,
        [contactId, toAgentId ?? null, this.config.transferWindowMs / 1000],
      );
      await recordContactEvent(m, {
        contactId,
        type: why,
        from: c.state,
        to: 'queued',
        actor,
        reason,
        data: { fromAgentId: c.agent_id, toAgentId: toAgentId ?? null },
      });
      signals.push({ t: 'waiting', c: contactId });
      return { contact: c, revoked };
    });
    const { contact, revoked } = outcome;
    if (revoked) await this.realtime.toAgent(revoked.agent_id, 'offer:revoked', { offerId: revoked.id, contactId, reason: 'supervisor' });
    else if (contact.agent_id) await this.realtime.toAgent(contact.agent_id, 'contact:released', { contactId, reason: why === 'reassigned' ? 'reassigned' : 'requeued' });
    if (contact.state !== 'queued') await this.customers.send(contact, 'conversation:state', { contactId, state: 'queued', agentName: null });
    await this.stateChanged(contactId, null, 'queued', why);
  }

  /**
   * Tells the agent holding a contact, and supervisors monitoring it, that it changed state. `origin`
   * is the agent's socket whose command made the change, if one did: it has the acknowledgement.
   */
  async stateChanged(contactId: string, agentId: string | null, state: ContactState, reason: string, origin?: string): Promise<void> {
    if (agentId) await this.realtime.toAgentExcept(agentId, origin, 'contact:state', { contactId, state, reason });
    await this.realtime.toMonitors(contactId, 'contact:state', { contactId, state, reason });
  }

  /**
   * An offer came back unanswered (rejected or timed out). A routed contact returns to its queue; a
   * warm transfer to a queue looks for another agent, one to a named agent fails back to the first agent.
   */
  private async returnOffer(
    m: EntityManager,
    signals: RoutingSignal[],
    offer: AnsweredOffer,
    e: { type: string; actor: { type: 'agent' | 'system'; id?: string }; reason: string },
  ): Promise<{ contactId: string; agentId: string; failedTransferTo: string | null; requeued: boolean }> {
    const [c]: HeldContact[] = await m.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE`, [offer.contact_id]);
    signals.push({ t: 'offer_done', o: offer.id, c: c.id, a: offer.agent_id, decline: true });
    signals.push(await releaseCapacity(m, offer.agent_id, c.channel));
    const data = { offerId: offer.id, agentId: offer.agent_id };
    if (offer.kind === 'route') {
      const [moved] = await updateReturning(
        m,
        `UPDATE contacts SET state = 'queued', agent_id = NULL, updated_at = now()
          WHERE id = $1 AND state = 'offered' AND agent_id = $2 RETURNING id`,
        [c.id, offer.agent_id],
      );
      if (!moved) throw new DomainError(ErrorCode.InvalidState, 'the contact is no longer offered to this agent');
      await recordContactEvent(m, { contactId: c.id, type: e.type, from: 'offered', to: 'queued', actor: e.actor, reason: e.reason, data });
      signals.push({ t: 'waiting', c: c.id });
      return { contactId: c.id, agentId: offer.agent_id, failedTransferTo: null, requeued: true };
    }
    await recordContactEvent(m, { contactId: c.id, type: `transfer_${e.type}`, actor: e.actor, reason: e.reason, data });
    if (c.pending_transfer?.toAgentId) {
      await m.query(`UPDATE contacts SET pending_transfer = NULL, updated_at = now() WHERE id = $1`, [c.id]);
      await recordContactEvent(m, { contactId: c.id, type: 'transfer_failed', actor: { type: 'system' }, reason: e.reason, data });
      return { contactId: c.id, agentId: offer.agent_id, failedTransferTo: c.agent_id, requeued: false };
    }
    signals.push({ t: 'waiting', c: c.id });
    return { contactId: c.id, agentId: offer.agent_id, failedTransferTo: null, requeued: false };
  }

  private async afterReturn(outcome: { contactId: string; failedTransferTo: string | null; requeued: boolean }): Promise<void> {
    // a routed contact whose offer went unanswered waits again (a warm transfer's contact stays with its agent)
    if (outcome.requeued) await this.stateChanged(outcome.contactId, null, 'queued', 'offer_returned');
    if (outcome.failedTransferTo) {
      await this.realtime.toAgent(outcome.failedTransferTo, 'transfer:failed', { contactId: outcome.contactId, reason: 'not_accepted' });
    }
  }

  /** Why an offer command found nothing to act on, as the error the agent gets. */
  private async offerProblem(m: EntityManager, agentId: string, offerId: string): Promise<DomainError> {
    const [offer] = await m.query(`SELECT status, agent_id FROM contact_offers WHERE id = $1`, [offerId]);
    if (!offer || offer.agent_id !== agentId) return new DomainError(ErrorCode.NotFound, `offer ${offerId} not found`);
    if (offer.status === 'pending' || offer.status === 'expired' || offer.status === 'revoked') {
      return new DomainError(ErrorCode.OfferExpired, `offer ${offerId} has expired or was withdrawn`);
    }
    return new DomainError(ErrorCode.InvalidState, `offer ${offerId} was already ${offer.status}`);
  }

  async contactProblem(agentId: string, contactId: string, expected: string): Promise<DomainError> {
    const [c] = await this.db.query(`SELECT state, agent_id FROM contacts WHERE id = $1`, [contactId]);
    if (!c || c.agent_id !== agentId) return new DomainError(ErrorCode.NotFound, `contact ${contactId} is not assigned to you`);
    return new DomainError(ErrorCode.InvalidState, `contact is ${c.state}, expected ${expected}`);
  }

  private async held(contactId: string): Promise<HeldContact> {
    const [c] = await this.db.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1`, [contactId]);
    return c;
  }
}
