import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { type AgentContactView, type Channel, type ContactState, DomainError, ErrorCode, type MessageView, QueueName, type WebchatServerEvents } from '@cc/shared';
import { affectedRows, InjectConfig, JobsService, RealtimeService, updateReturning } from '@cc/platform';
import { MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, recordContactEvent, toMessageView } from '@cc/contacts';
import { OfferViewsService } from './offer-views.service';
import { RoutingService } from './routing.service';

interface HeldContact {
  id: string;
  channel: Channel;
  address: string;
  queue_id: string;
  state: string;
}

/**
 * The contact state machine past the queue: offers accepted, rejected or expired, the agent's messages,
 * ending and wrap-up, and the customer leaving. Every transition is one transaction that checks the
 * state it starts from (so a late or repeated command changes nothing), moves the agent's capacity,
 * and appends the contact event.
 */
@Injectable()
export class ContactLifecycleService {
  private readonly logger = new Logger(ContactLifecycleService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly routing: RoutingService,
    private readonly views: OfferViewsService,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async accept(agentId: string, offerId: string): Promise<AgentContactView> {
    const outcome = await this.db.transaction(async (m) => {
      const [offer] = await updateReturning(
        m,
        `UPDATE contact_offers SET status = 'accepted', resolved_at = now()
          WHERE id = $1 AND agent_id = $2 AND status = 'pending' AND expires_at > now() RETURNING contact_id`,
        [offerId, agentId],
      );
      if (!offer) {
        // a repeated accept (say, a retry after a lost acknowledgement) gets the same answer
        const [again] = await m.query(
          `SELECT c.id, c.channel, c.address, c.queue_id, c.state FROM contact_offers o JOIN contacts c ON c.id = o.contact_id
            WHERE o.id = $1 AND o.agent_id = $2 AND o.status = 'accepted' AND c.agent_id = $2`,
          [offerId, agentId],
        );
        if (again) return { contact: again as HeldContact, repeated: true };
        throw await this.offerProblem(m, agentId, offerId);
      }
      const [c]: HeldContact[] = await updateReturning(
        m,
        `UPDATE contacts SET state = 'active', answered_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'offered' AND agent_id = $2 RETURNING id, channel, address, queue_id, state`,
        [offer.contact_id, agentId],
      );
      if (!c) throw new DomainError(ErrorCode.InvalidState, 'the contact is no longer offered to you');
      await m.query(`UPDATE agents SET missed_offers = 0 WHERE user_id = $1`, [agentId]);
      await recordContactEvent(m, { contactId: c.id, type: 'accepted', from: 'offered', to: 'active', actor: { type: 'agent', id: agentId }, data: { offerId } });
      return { contact: c, repeated: false };
    });
    const view = await this.views.contact(outcome.contact.id);
    if (outcome.repeated) return view;
    const { contact } = outcome;
    await this.jobs.cancel(QueueName.Timers, `offer_${offerId}`);
    await this.realtime.toAgent(agentId, 'contact:state', { contactId: contact.id, state: 'active', reason: 'accepted' });
    const { name } = (await this.db.query(`SELECT name FROM users WHERE id = $1`, [agentId]))[0];
    await this.toCustomer(contact, 'conversation:state', { contactId: contact.id, state: 'active', agentName: name });
    return view;
  }

  async reject(agentId: string, offerId: string, reason: string): Promise<void> {
    const queueId = await this.db.transaction(async (m) => {
      const [offer] = await updateReturning(
        m,
        `UPDATE contact_offers SET status = 'rejected', reason = $3, resolved_at = now()
          WHERE id = $1 AND agent_id = $2 AND status = 'pending' RETURNING contact_id`,
        [offerId, agentId, reason],
      );
      if (!offer) throw await this.offerProblem(m, agentId, offerId);
      return this.requeue(m, offer.contact_id, agentId, { type: 'rejected', actor: { type: 'agent', id: agentId }, reason, offerId });
    });
    await this.jobs.cancel(QueueName.Timers, `offer_${offerId}`);
    await this.routing.requestForQueue(queueId, 'offer_rejected');
  }

  /** The offer timer fired: if the agent has not answered, the contact goes back to the queue. */
  async expireOffer(offerId: string): Promise<boolean> {
    const outcome = await this.db.transaction(async (m) => {
      // a little slack for clock skew between the timer and the database
      const [offer] = await updateReturning(
        m,
        `UPDATE contact_offers SET status = 'expired', reason = 'timeout', resolved_at = now()
          WHERE id = $1 AND status = 'pending' AND expires_at <= now() + interval '250 milliseconds'
          RETURNING contact_id, agent_id`,
        [offerId],
      );
      if (!offer) return null;
      const queueId = await this.requeue(m, offer.contact_id, offer.agent_id, {
        type: 'offer_timeout',
        actor: { type: 'system' },
        reason: 'timeout',
        offerId,
      });
      const [agent] = await updateReturning(
        m,
        `UPDATE agents SET missed_offers = missed_offers + 1 WHERE user_id = $1 RETURNING missed_offers`,
        [offer.agent_id],
      );
      let setAway = false;
      if (agent.missed_offers >= this.config.offerMissesBeforeAway) {
        const count = await affectedRows(
          m,
          `UPDATE agents SET presence = 'away', away_reason = 'missed_offers', presence_since = now()
            WHERE user_id = $1 AND presence = 'available'`,
          [offer.agent_id],
        );
        setAway = count === 1;
      }
      return { contactId: offer.contact_id as string, agentId: offer.agent_id as string, queueId, setAway };
    });
    if (!outcome) return false;
    await this.realtime.toAgent(outcome.agentId, 'offer:revoked', { offerId, contactId: outcome.contactId, reason: 'timeout' });
    if (outcome.setAway) await this.realtime.toAgent(outcome.agentId, 'presence:changed', { presence: 'away', awayReason: 'missed_offers' });
    await this.routing.requestForQueue(outcome.queueId, 'offer_timeout');
    return true;
  }

  /** Safety net for lost timers: expires every offer past its time. */
  async expireOverdueOffers(): Promise<number> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM contact_offers WHERE status = 'pending' AND expires_at < now() - interval '2 seconds' LIMIT 500`,
    );
    let expired = 0;
    for (const r of rows) if (await this.expireOffer(r.id)) expired++;
    return expired;
  }

  /** The agent's reply to the customer. Idempotent on the agent's client message id. */
  async sendAgentMessage(agentId: string, contactId: string, clientMessageId: string, text: string): Promise<MessageView> {
    const externalId = `agent:${agentId}:${clientMessageId}`;
    const [inserted] = await this.db.query(
      `INSERT INTO messages (contact_id, direction, author_type, author_id, body, external_id, client_message_id)
       SELECT id, 'outbound', 'agent', $2, $3, $4, $5 FROM contacts WHERE id = $1 AND agent_id = $2 AND state = 'active'
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
    if (!row) throw await this.contactProblem(agentId, contactId, 'active');
    const message = toMessageView(row);
    if (inserted) {
      const contact = await this.held(contactId);
      await this.toCustomer(contact, 'message', message);
    }
    return message;
  }

  async agentTyping(agentId: string, contactId: string, isTyping: boolean): Promise<void> {
    const [contact]: HeldContact[] = await this.db.query(
      `SELECT id, channel, address, queue_id, state FROM contacts WHERE id = $1 AND agent_id = $2 AND state = 'active'`,
      [contactId, agentId],
    );
    if (!contact) throw await this.contactProblem(agentId, contactId, 'active');
    await this.toCustomer(contact, 'typing', { isTyping });
  }

  /** The agent ends the conversation; they keep the contact (and its capacity) for wrap-up. */
  async end(agentId: string, contactId: string): Promise<void> {
    const contact = await this.db.transaction(async (m) => {
      const [c]: HeldContact[] = await updateReturning(
        m,
        `UPDATE contacts SET state = 'wrap_up', updated_at = now() WHERE id = $1 AND agent_id = $2 AND state = 'active'
         RETURNING id, channel, address, queue_id, state`,
        [contactId, agentId],
      );
      if (!c) throw await this.contactProblem(agentId, contactId, 'active');
      await recordContactEvent(m, { contactId, type: 'wrap_up', from: 'active', to: 'wrap_up', actor: { type: 'agent', id: agentId } });
      return c;
    });
    await this.realtime.toAgent(agentId, 'contact:state', { contactId, state: 'wrap_up', reason: 'ended_by_agent' });
    await this.toCustomer(contact, 'conversation:state', { contactId, state: 'wrap_up', agentName: null });
  }

  /** Wrap-up done: the contact closes with its disposition and note, and the agent's capacity frees. */
  async wrapUp(agentId: string, contactId: string, disposition: string, note: string | null): Promise<void> {
    const contact = await this.db.transaction(async (m) => {
      const [before] = await m.query(`SELECT state FROM contacts WHERE id = $1 AND agent_id = $2 FOR UPDATE`, [contactId, agentId]);
      if (!before || !['active', 'wrap_up'].includes(before.state)) throw await this.contactProblem(agentId, contactId, 'active or wrap_up');
      const [c]: HeldContact[] = await updateReturning(
        m,
        `UPDATE contacts SET state = 'closed', agent_id = NULL, disposition = $2, wrap_up_note = $3, closed_at = now(), updated_at = now()
          WHERE id = $1 RETURNING id, channel, address, queue_id, state`,
        [contactId, disposition, note],
      );
      await m.query(`UPDATE agent_capacities SET load = load - 1 WHERE agent_id = $1 AND channel = $2`, [agentId, c.channel]);
      await recordContactEvent(m, {
        contactId,
        type: 'closed',
        from: before.state,
        to: 'closed',
        actor: { type: 'agent', id: agentId },
        reason: 'wrap_up_done',
        data: { disposition, note },
      });
      return c;
    });
    await this.realtime.toAgent(agentId, 'contact:state', { contactId, state: 'closed', reason: 'wrap_up_done' });
    await this.toCustomer(contact, 'conversation:state', { contactId, state: 'closed', agentName: null });
    await this.routing.requestForAgent(agentId, 'contact_closed');
  }

  /**
   * The customer left (closed the chat). Waiting or offered contacts are abandoned; a conversation
   * in progress stays with its agent, who is told.
   */
  async customerLeft(channel: Channel, address: string): Promise<void> {
    const outcome = await this.db.transaction(async (m) => {
      const [c] = await m.query(
        `SELECT id, state, agent_id FROM contacts
          WHERE channel = $1 AND address = $2 AND state IN ('queued', 'offered', 'active', 'wrap_up') FOR UPDATE`,
        [channel, address],
      );
      if (!c) return null;
      const actor = { type: 'customer' as const };
      if (c.state === 'active' || c.state === 'wrap_up') {
        await recordContactEvent(m, { contactId: c.id, type: 'customer_left', actor, reason: 'customer_left' });
        return { contactId: c.id as string, agentId: c.agent_id as string | null, state: c.state as ContactState, revokedOfferId: null };
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
        await m.query(`UPDATE agent_capacities SET load = load - 1 WHERE agent_id = $1 AND channel = $2`, [c.agent_id, channel]);
      }
      await m.query(`UPDATE contacts SET state = 'abandoned', agent_id = NULL, closed_at = now(), updated_at = now() WHERE id = $1`, [c.id]);
      await recordContactEvent(m, { contactId: c.id, type: 'abandoned', from: c.state, to: 'abandoned', actor, reason: 'customer_left' });
      return { contactId: c.id as string, agentId: c.agent_id as string | null, state: 'abandoned' as ContactState, revokedOfferId };
    });
    if (!outcome) return;
    if (outcome.state === 'abandoned') {
      await this.toCustomer({ channel, address }, 'conversation:state', { contactId: outcome.contactId, state: 'abandoned', agentName: null });
    }
    if (!outcome.agentId) return;
    if (outcome.revokedOfferId) {
      await this.jobs.cancel(QueueName.Timers, `offer_${outcome.revokedOfferId}`);
      await this.realtime.toAgent(outcome.agentId, 'offer:revoked', { offerId: outcome.revokedOfferId, contactId: outcome.contactId, reason: 'customer_left' });
      await this.routing.requestForAgent(outcome.agentId, 'offer_revoked');
    } else {
      await this.realtime.toAgent(outcome.agentId, 'contact:state', { contactId: outcome.contactId, state: outcome.state, reason: 'customer_left' });
    }
  }

  /** Puts an offered contact back in its queue and frees the agent's capacity; returns the queue. */
  private async requeue(
    m: EntityManager,
    contactId: string,
    agentId: string,
    e: { type: string; actor: { type: 'agent' | 'system'; id?: string }; reason: string; offerId: string },
  ): Promise<string> {
    const [c] = await updateReturning(
        m,
      `UPDATE contacts SET state = 'queued', agent_id = NULL, updated_at = now()
        WHERE id = $1 AND state = 'offered' AND agent_id = $2 RETURNING queue_id, channel`,
      [contactId, agentId],
    );
    if (!c) throw new DomainError(ErrorCode.InvalidState, 'the contact is no longer offered to this agent');
    await m.query(`UPDATE agent_capacities SET load = load - 1 WHERE agent_id = $1 AND channel = $2`, [agentId, c.channel]);
    await recordContactEvent(m, {
      contactId,
      type: e.type,
      from: 'offered',
      to: 'queued',
      actor: e.actor,
      reason: e.reason,
      data: { offerId: e.offerId, agentId },
    });
    return c.queue_id;
  }

  /** Why an offer command found nothing to act on, as the error the agent gets. */
  private async offerProblem(m: EntityManager, agentId: string, offerId: string): Promise<DomainError> {
    const [offer] = await m.query(`SELECT status, agent_id, expires_at FROM contact_offers WHERE id = $1`, [offerId]);
    if (!offer || offer.agent_id !== agentId) return new DomainError(ErrorCode.NotFound, `offer ${offerId} not found`);
    if (offer.status === 'pending' || offer.status === 'expired' || offer.status === 'revoked') {
      return new DomainError(ErrorCode.OfferExpired, `offer ${offerId} has expired or was withdrawn`);
    }
    return new DomainError(ErrorCode.InvalidState, `offer ${offerId} was already ${offer.status}`);
  }

  private async contactProblem(agentId: string, contactId: string, expected: string): Promise<DomainError> {
    const [c] = await this.db.query(`SELECT state, agent_id FROM contacts WHERE id = $1`, [contactId]);
    if (!c || c.agent_id !== agentId) return new DomainError(ErrorCode.NotFound, `contact ${contactId} is not assigned to you`);
    return new DomainError(ErrorCode.InvalidState, `contact is ${c.state}, expected ${expected}`);
  }

  private async held(contactId: string): Promise<HeldContact> {
    const [c] = await this.db.query(`SELECT id, channel, address, queue_id, state FROM contacts WHERE id = $1`, [contactId]);
    return c;
  }

  /** Delivers to the customer on their own channel. Web chat: the visitor's sockets. */
  private async toCustomer<E extends 'message' | 'typing' | 'conversation:state'>(
    contact: Pick<HeldContact, 'channel' | 'address'>,
    event: E,
    payload: Parameters<WebchatServerEvents[E]>[0],
  ): Promise<void> {
    if (contact.channel !== 'chat') {
      this.logger.warn(`no outbound adapter for ${contact.channel} yet; ${event} not delivered`);
      return;
    }
    // the event map ties each event to its payload; TypeScript cannot follow that through the generic E
    const emit = this.realtime.toVisitor.bind(this.realtime) as (visitorId: string, e: E, p: typeof payload) => Promise<void>;
    await emit(contact.address, event, payload);
  }
}
