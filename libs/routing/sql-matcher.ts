import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ResolvedConfig } from '@cc/config';
import type { Channel } from '@cc/shared';
import { InjectConfig, JobsService } from '@cc/platform';
import { recordContactEvent } from '@cc/contacts';
import type { MadeOffer, Matcher } from './matcher';

type Step = { kind: 'offered'; offer: MadeOffer } | { kind: 'no_agent'; channel: Channel } | { kind: 'empty' };

/** Guards against a runaway loop if something keeps handing back the same contact. */
const MAX_OFFERS_PER_PASS = 500;

/**
 * The simple matcher: each match is one PostgreSQL transaction that locks the longest-waiting contact
 * and the longest-idle eligible agent with free capacity on its channel (both with SKIP LOCKED, so
 * concurrent matchers pass each other by instead of waiting), then records the offer. The capacity
 * CHECK constraint and the one-pending-offer-per-contact index back it up.
 */
@Injectable()
export class SqlMatcher implements Matcher {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jobs: JobsService,
    @InjectConfig() private readonly config: ResolvedConfig,
  ) {}

  async matchQueue(queueId: string): Promise<MadeOffer[]> {
    const offers: MadeOffer[] = [];
    // a channel with no free agent is skipped for the rest of the pass, so an email nobody can take
    // does not hold back the chats queued behind it
    const exhausted = new Set<Channel>();
    while (offers.length < MAX_OFFERS_PER_PASS) {
      const step = await this.db.transaction((m) => this.matchOne(m, queueId, [...exhausted]));
      if (step.kind === 'empty') break;
      if (step.kind === 'no_agent') exhausted.add(step.channel);
      else offers.push(step.offer);
    }
    return offers;
  }

  private async matchOne(m: EntityManager, queueId: string, skipChannels: Channel[]): Promise<Step> {
    const [contact] = await m.query(
      `SELECT id, channel FROM contacts
        WHERE queue_id = $1 AND state = 'queued' AND channel <> ALL($2::text[])
        ORDER BY priority DESC, queued_at, id
        LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [queueId, skipChannels],
    );
    if (!contact) return { kind: 'empty' };

    const [agent] = await m.query(
      `SELECT a.user_id AS id
         FROM agents a
         JOIN users u ON u.id = a.user_id AND u.active
         JOIN queue_members qm ON qm.agent_id = a.user_id AND qm.queue_id = $1
         JOIN queues q ON q.id = qm.queue_id
         JOIN agent_capacities cap ON cap.agent_id = a.user_id AND cap.channel = $2
        WHERE a.presence = 'available'
          AND cap.load < cap.capacity
          AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(q.required_skills) req
                           WHERE COALESCE((a.skills ->> req.key)::int, 0) < req.value::int)
          AND NOT EXISTS (SELECT 1 FROM contact_offers o
                           WHERE o.contact_id = $3 AND o.agent_id = a.user_id AND o.status IN ('rejected', 'expired')
                             AND o.resolved_at > now() - make_interval(secs => $4))
        ORDER BY a.idle_since, cap.load, a.user_id
        LIMIT 1
        FOR UPDATE OF a, cap SKIP LOCKED`,
      [queueId, contact.channel, contact.id, this.config.reofferCooldownMs / 1000],
    );
    if (!agent) return { kind: 'no_agent', channel: contact.channel };

    await m.query(`UPDATE agent_capacities SET load = load + 1 WHERE agent_id = $1 AND channel = $2`, [agent.id, contact.channel]);
    await m.query(`UPDATE agents SET idle_since = now() WHERE user_id = $1`, [agent.id]);
    await m.query(`UPDATE contacts SET state = 'offered', agent_id = $2, updated_at = now() WHERE id = $1`, [contact.id, agent.id]);
    const [offer] = await m.query(
      `INSERT INTO contact_offers (contact_id, agent_id, status, expires_at)
       VALUES ($1, $2, 'pending', now() + make_interval(secs => $3)) RETURNING id, expires_at`,
      [contact.id, agent.id, this.config.offerTimeoutMs / 1000],
    );
    await recordContactEvent(m, {
      contactId: contact.id,
      type: 'offered',
      from: 'queued',
      to: 'offered',
      actor: { type: 'system' },
      reason: 'longest_idle_available_agent',
      data: { offerId: offer.id, agentId: agent.id },
    });
    // scheduled before commit: if the commit fails the timer finds no pending offer and does nothing,
    // whereas a timer scheduled after commit could be lost with the process
    await this.jobs.enqueue('timers.offer-timeout', { offerId: offer.id });
    return {
      kind: 'offered',
      offer: { offerId: offer.id, contactId: contact.id, agentId: agent.id, queueId, channel: contact.channel, expiresAt: offer.expires_at },
    };
  }
}
