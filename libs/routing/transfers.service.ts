import { Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '@cc/config';
import { DomainError, ErrorCode } from '@cc/shared';
import { InjectConfig, RealtimeService, updateReturning } from '@cc/platform';
import { recordContactEvent } from '@cc/contacts';
import { releaseCapacity } from './capacity';
import { ContactLifecycleService, HELD_COLUMNS, type HeldContact } from './contact-lifecycle.service';
import { CustomerChannelService } from './customer-channel.service';

export interface TransferRequest {
  mode: 'cold' | 'warm';
  toQueueId?: string;
  toAgentId?: string;
}

/**
 * An agent hands a contact on, to a queue or to a named agent. Cold: the contact leaves them at once
 * and waits for the target. Warm: they keep it until the second agent accepts. The contact, its
 * messages and its history carry over unchanged: it is the same contact.
 */
@Injectable()
export class TransfersService {
  constructor(
    private readonly lifecycle: ContactLifecycleService,
    private readonly realtime: RealtimeService,
    private readonly customers: CustomerChannelService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async transfer(agentId: string, contactId: string, req: TransferRequest): Promise<void> {
    if (!req.toQueueId === !req.toAgentId) throw new DomainError(ErrorCode.ValidationFailed, 'name exactly one of toQueueId and toAgentId');
    const contact = await this.lifecycle.transaction(async (m, signals) => {
      const [c]: HeldContact[] = await m.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 AND agent_id = $2 AND state = 'active' FOR UPDATE`, [
        contactId,
        agentId,
      ]);
      if (!c) throw await this.lifecycle.contactProblem(agentId, contactId, 'active');
      if (c.pending_transfer) throw new DomainError(ErrorCode.InvalidState, 'a transfer is already in progress');
      const queueId = req.toQueueId ?? c.queue_id;
      const [queue] = await m.query(`SELECT id FROM queues WHERE id = $1 AND active AND $2 = ANY(channels)`, [queueId, c.channel]);
      if (!queue) throw new DomainError(ErrorCode.UnknownQueue, `no active queue ${queueId} takes ${c.channel} contacts`);
      if (req.toAgentId) {
        if (req.toAgentId === agentId) throw new DomainError(ErrorCode.ValidationFailed, 'cannot transfer to yourself');
        const [target] = await m.query(`SELECT 1 FROM agents a JOIN users u ON u.id = a.user_id WHERE a.user_id = $1 AND u.active`, [req.toAgentId]);
        if (!target) throw new DomainError(ErrorCode.NotFound, `agent ${req.toAgentId} not found`);
      }
      const data = { mode: req.mode, fromAgentId: agentId, toQueueId: req.toQueueId ?? null, toAgentId: req.toAgentId ?? null };
      if (req.mode === 'warm') {
        await m.query(`UPDATE contacts SET pending_transfer = $2, updated_at = now() WHERE id = $1`, [
          contactId,
          JSON.stringify({ toQueueId: req.toQueueId, toAgentId: req.toAgentId, fromAgentId: agentId, requestedAt: new Date().toISOString() }),
        ]);
        await recordContactEvent(m, { contactId, type: 'transfer_requested', actor: { type: 'agent', id: agentId }, reason: 'warm_transfer', data });
        signals.push({ t: 'waiting', c: contactId });
        return null;
      }
      await updateReturning(
        m,
        `UPDATE contacts SET state = 'queued', agent_id = NULL, queue_id = $2, queued_at = now(), queue_entered_at = now(), routing_step = 0,
                preferred_agent_id = $3::uuid, preferred_direct = $3::uuid IS NOT NULL,
                preferred_until = CASE WHEN $3::uuid IS NULL THEN NULL ELSE now() + make_interval(secs => $4) END, updated_at = now()
          WHERE id = $1 RETURNING id`,
        [contactId, queueId, req.toAgentId ?? null, this.config.transferWindowMs / 1000],
      );
      signals.push(await releaseCapacity(m, agentId, c.channel));
      signals.push({ t: 'waiting', c: contactId });
      await recordContactEvent(m, { contactId, type: 'transferred', from: 'active', to: 'queued', actor: { type: 'agent', id: agentId }, reason: 'cold_transfer', data });
      return c;
    });
    if (contact) {
      await this.realtime.toAgent(agentId, 'contact:released', { contactId, reason: 'transferred' });
      await this.realtime.toMonitors(contactId, 'contact:state', { contactId, state: 'queued', reason: 'transferred' });
      await this.customers.send(contact, 'conversation:state', { contactId, state: 'queued', agentName: null });
    }
  }

  /** Withdraws a warm transfer that has not been accepted; the contact stays with its agent. */
  async cancel(agentId: string, contactId: string): Promise<void> {
    const revoked = await this.lifecycle.transaction(async (m, signals) => {
      const [c]: HeldContact[] = await m.query(`SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 AND agent_id = $2 FOR UPDATE`, [contactId, agentId]);
      if (!c) throw await this.lifecycle.contactProblem(agentId, contactId, 'active');
      if (!c.pending_transfer) throw new DomainError(ErrorCode.InvalidState, 'no transfer in progress');
      await m.query(`UPDATE contacts SET pending_transfer = NULL, updated_at = now() WHERE id = $1`, [contactId]);
      const [offer] = await updateReturning(
        m,
        `UPDATE contact_offers SET status = 'revoked', reason = 'transfer_cancelled', resolved_at = now()
          WHERE contact_id = $1 AND status = 'pending' RETURNING id, agent_id`,
        [contactId],
      );
      if (offer) {
        signals.push({ t: 'offer_done', o: offer.id, c: contactId, a: offer.agent_id });
        signals.push(await releaseCapacity(m, offer.agent_id, c.channel));
      }
      signals.push({ t: 'gone', c: contactId });
      await recordContactEvent(m, { contactId, type: 'transfer_cancelled', actor: { type: 'agent', id: agentId }, reason: 'cancelled' });
      return offer as { id: string; agent_id: string } | undefined;
    });
    if (revoked) await this.realtime.toAgent(revoked.agent_id, 'offer:revoked', { offerId: revoked.id, contactId, reason: 'transfer_cancelled' });
  }
}
