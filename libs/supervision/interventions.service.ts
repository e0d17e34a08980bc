import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode, type MessageView, type Presence } from '@cc/shared';
import { RealtimeService } from '@cc/platform';
import { AgentsService } from '@cc/agents';
import { type ContactDetail, ContactsQueryService, MESSAGE_VIEW_COLUMNS, MESSAGE_VIEW_JOIN, type MessageRow, recordContactEvent, toMessageView } from '@cc/contacts';
import { ContactLifecycleService, CustomerChannelService, HELD_COLUMNS, type HeldContact } from '@cc/routing';

/** The supervisor or admin stepping in: every intervention is logged with them as its actor. */
export interface Supervisor {
  type: 'supervisor' | 'admin';
  id: string;
  name: string;
}

/**
 * What a supervisor can do to live work: set an agent's state, take a contact back into the queue
 * (for anyone, or for one named agent), watch a conversation, whisper to the agent, barge in.
 * Each is one transaction that checks the state it starts from and appends a contact event (or, for
 * agent state, an agent state log row) naming the supervisor.
 */
@Injectable()
export class InterventionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agents: AgentsService,
    private readonly lifecycle: ContactLifecycleService,
    private readonly customers: CustomerChannelService,
    private readonly contacts: ContactsQueryService,
    private readonly realtime: RealtimeService,
  ) {}

  /** Forces an agent's presence (e.g. away or offline); the agent's desk is told. */
  async setAgentPresence(by: Supervisor, agentId: string, presence: Presence, reason: string | null): Promise<boolean> {
    await this.agents.presenceOf(agentId).catch(() => {
      throw new DomainError(ErrorCode.NotFound, `agent ${agentId} not found`);
    });
    const awayReason = presence === 'away' ? (reason ?? 'supervisor') : null;
    const changed = await this.agents.setPresence(agentId, presence, awayReason, { type: by.type, id: by.id });
    if (changed) await this.realtime.toAgent(agentId, 'presence:changed', { presence, awayReason });
    return changed;
  }

  /**
   * Takes a contact from its agent, or from the agent it is offered to, back into its queue; with
   * `toAgentId`, offered only to that agent for the transfer window. The customer's wait keeps counting.
   */
  requeue(by: Supervisor, contactId: string, toAgentId?: string): Promise<void> {
    return this.lifecycle.requeue(contactId, { actor: { type: by.type, id: by.id }, why: toAgentId ? 'reassigned' : 'requeued', toAgentId });
  }

  /** Starts watching a conversation (read-only): its detail now, its messages as they come. */
  async monitor(by: Supervisor, contactId: string): Promise<ContactDetail> {
    const detail = await this.contacts.detail(contactId, { id: by.id, role: by.type, name: by.name });
    await this.db.transaction((m) => recordContactEvent(m, { contactId, type: 'monitor_started', actor: { type: by.type, id: by.id } }));
    return detail;
  }

  /** A note only the agent (and other monitors) see. */
  whisper(by: Supervisor, contactId: string, clientMessageId: string, text: string): Promise<MessageView> {
    return this.post(by, contactId, clientMessageId, text, 'internal');
  }

  /** A message to the customer in the supervisor's name, on the contact's own channel. */
  bargeIn(by: Supervisor, contactId: string, clientMessageId: string, text: string): Promise<MessageView> {
    return this.post(by, contactId, clientMessageId, text, 'outbound');
  }

  private async post(by: Supervisor, contactId: string, clientMessageId: string, text: string, direction: 'internal' | 'outbound'): Promise<MessageView> {
    // a whisper and a barge-in are different messages even under one client id
    const externalId = `supervisor:${by.id}:${direction}:${clientMessageId}`;
    const result = await this.db.transaction(async (m) => {
      // a whisper needs an agent to hear it; barging in needs a conversation in progress
      const [c]: (HeldContact & { id: string })[] = await m.query(
        `SELECT ${HELD_COLUMNS} FROM contacts WHERE id = $1 AND state = ANY($2) FOR UPDATE`,
        [contactId, direction === 'internal' ? ['offered', 'active', 'wrap_up'] : ['active']],
      );
      if (!c) {
        const [exists] = await m.query(`SELECT state FROM contacts WHERE id = $1`, [contactId]);
        if (!exists) throw new DomainError(ErrorCode.NotFound, `contact ${contactId} not found`);
        throw new DomainError(ErrorCode.InvalidState, `contact ${contactId} is ${exists.state}: ${direction === 'internal' ? 'no agent to whisper to' : 'no conversation in progress'}`);
      }
      const [inserted] = await m.query(
        `INSERT INTO messages (contact_id, direction, author_type, author_id, body, external_id, client_message_id, delivery_status)
         VALUES ($1, $2, 'supervisor', $3, $4, $5, $6, CASE WHEN $2 = 'outbound' AND $7 IN ('sms', 'email') THEN 'pending' END)
         ON CONFLICT (external_id) DO NOTHING RETURNING id`,
        [contactId, direction, by.id, text, externalId, clientMessageId, c.channel],
      );
      if (inserted) {
        await recordContactEvent(m, {
          contactId,
          type: direction === 'internal' ? 'whisper' : 'barge_in',
          actor: { type: by.type, id: by.id },
          data: { messageId: inserted.id, agentId: c.agent_id },
        });
      }
      const [row]: MessageRow[] = await m.query(`SELECT ${MESSAGE_VIEW_COLUMNS} FROM messages m ${MESSAGE_VIEW_JOIN} WHERE m.external_id = $1`, [externalId]);
      if (row.contact_id !== contactId) throw new DomainError(ErrorCode.Conflict, `clientMessageId ${clientMessageId} was already used for another message`);
      return { contact: c, message: toMessageView(row), fresh: !!inserted };
    });
    const { contact, message, fresh } = result;
    if (fresh) {
      if (contact.agent_id) await this.realtime.toAgent(contact.agent_id, 'message', message);
      await this.realtime.toMonitors(contactId, 'message', message);
      if (direction === 'outbound') await this.customers.send(contact, 'message', message);
    }
    return message;
  }
}
