import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import { InjectConfig, JobsService, RealtimeService, TokensService } from '@cc/platform';
import { ContactsQueryService } from '@cc/contacts';
import { ContactLifecycleService, QueuesService } from '@cc/routing';
import { type ContactState, DomainError, ErrorCode, type VisitorConversationView } from '@cc/shared';

export interface VisitorMessage {
  clientMessageId: string;
  text: string;
  queue?: string;
  name?: string;
  email?: string;
}

/** A finished conversation stays on the visitor's screen this long after it closed. */
const RECENTLY_CLOSED_MS = 30 * 60_000;

/**
 * The web-chat channel adapter. A visitor is known by a signed visitor token; their visitor id is
 * their address on the chat channel, so they only ever reach their own conversation.
 */
@Injectable()
export class WebchatService {
  constructor(
    private readonly tokens: TokensService,
    private readonly jobs: JobsService,
    private readonly queues: QueuesService,
    private readonly contacts: ContactsQueryService,
    private readonly lifecycle: ContactLifecycleService,
    private readonly realtime: RealtimeService,
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  /** A new visitor, or a returning one whose token still verifies (the token is renewed). */
  startSession(existingToken?: string): { visitorToken: string; visitorId: string } {
    let visitorId: string = randomUUID();
    if (existingToken) {
      try {
        visitorId = this.tokens.verifyVisitor(existingToken).visitorId;
      } catch {
        // an expired or foreign token starts a fresh visitor
      }
    }
    return { visitorToken: this.tokens.signVisitor({ visitorId }), visitorId };
  }

  /** Accepts a visitor's message: validated, queued durably, acknowledged. Storage and routing happen in the worker. */
  async acceptMessage(visitorId: string, msg: VisitorMessage): Promise<void> {
    const queueId = await this.queues.activeIdByName(msg.queue ?? this.config.webchat.defaultQueue, 'chat');
    await this.jobs.enqueue('inbound.message', {
      channel: 'chat',
      address: visitorId,
      externalId: msg.clientMessageId,
      text: msg.text,
      queueId,
      profile: msg.name || msg.email ? { name: msg.name, email: msg.email } : undefined,
      receivedAt: Date.now(),
    });
  }

  /** The visitor's current conversation (or the one that just ended), for a (re)connecting widget. */
  async conversation(visitorId: string): Promise<VisitorConversationView> {
    const [row] = await this.db.query(
      `SELECT c.id, c.state, u.name AS agent_name FROM contacts c LEFT JOIN users u ON u.id = c.agent_id AND c.state = 'active'
        WHERE c.channel = 'chat' AND c.address = $1
          AND (c.state IN ('queued', 'offered', 'active', 'wrap_up') OR c.closed_at > now() - make_interval(secs => $2))
        ORDER BY c.created_at DESC LIMIT 1`,
      [visitorId, RECENTLY_CLOSED_MS / 1000],
    );
    if (!row) return { contactId: null, state: null, agentName: null, messages: [] };
    return {
      contactId: row.id,
      // an offer is not the visitor's business: to them the contact is still waiting
      state: (row.state === 'offered' ? 'queued' : row.state) as ContactState,
      agentName: row.agent_name,
      messages: await this.contacts.messages([row.id], 'customer'),
    };
  }

  async typing(visitorId: string, isTyping: boolean): Promise<void> {
    const open = await this.contacts.openContactOf('chat', visitorId);
    if (open?.agentId && open.state === 'active') await this.realtime.toAgent(open.agentId, 'typing', { contactId: open.id, isTyping });
  }

  /**
   * The visitor rates a conversation of theirs that has closed (CSAT, 1 to 5), once: reports count it.
   * Rating again changes nothing.
   */
  async rate(visitorId: string, contactId: string, score: number, comment: string | null): Promise<{ recorded: boolean }> {
    const [contact] = await this.db.query(`SELECT state, csat FROM contacts WHERE id = $1 AND channel = 'chat' AND address = $2`, [contactId, visitorId]);
    // another visitor's contact is as unknown as a missing one
    if (!contact) throw new DomainError(ErrorCode.NotFound, `conversation ${contactId} not found`);
    if (contact.state !== 'closed') throw new DomainError(ErrorCode.InvalidState, 'a conversation can be rated once it has closed');
    const [rated] = await this.db.query(
      `WITH rated AS (UPDATE contacts SET csat = $2, updated_at = now() WHERE id = $1 AND csat IS NULL RETURNING id, customer_id)
       INSERT INTO contact_events (contact_id, type, actor_type, actor_id, data)
       SELECT id, 'csat', 'customer', customer_id, jsonb_build_object('score', $2::int, 'comment', $3::text) FROM rated RETURNING contact_id`,
      [contactId, score, comment],
    );
    return { recorded: !!rated };
  }

  leave(visitorId: string): Promise<void> {
    return this.lifecycle.customerLeft('chat', visitorId);
  }
}
