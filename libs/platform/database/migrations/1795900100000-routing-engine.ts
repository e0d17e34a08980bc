import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The routing engine's policy and state: queue priorities, service level, maximum wait, overflow
 * chain, relaxation steps and stickiness; agents' voice rule; per-contact routing preferences,
 * the step it was routed under, and warm transfers in progress.
 */
export class RoutingEngine1795900100000 implements MigrationInterface {
  name = 'RoutingEngine1795900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE queues
        ADD COLUMN priority_policy jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN service_level_seconds integer NOT NULL DEFAULT 20 CHECK (service_level_seconds > 0),
        ADD COLUMN max_wait_seconds integer CHECK (max_wait_seconds > 0),
        ADD COLUMN overflow_queue_id uuid REFERENCES queues (id),
        ADD COLUMN steps jsonb NOT NULL DEFAULT '[]',
        ADD COLUMN sticky_seconds integer NOT NULL DEFAULT 20 CHECK (sticky_seconds >= 0),
        ADD CONSTRAINT overflow_elsewhere CHECK (overflow_queue_id IS DISTINCT FROM id);

      ALTER TABLE agents ADD COLUMN voice_blocks_other_channels boolean NOT NULL DEFAULT true;

      ALTER TABLE contacts
        ADD COLUMN queue_entered_at timestamptz NOT NULL DEFAULT now(),
        -- offered only to this agent until preferred_until: the customer's last agent (sticky), or a named transfer target
        ADD COLUMN preferred_agent_id uuid REFERENCES agents (user_id),
        ADD COLUMN preferred_until timestamptz,
        ADD COLUMN preferred_direct boolean NOT NULL DEFAULT false,
        ADD COLUMN routing_step integer NOT NULL DEFAULT 0,
        -- a warm transfer in progress: {toQueueId, toAgentId, fromAgentId, requestedAt}; the contact stays with its agent meanwhile
        ADD COLUMN pending_transfer jsonb;
      UPDATE contacts SET queue_entered_at = queued_at;
      CREATE INDEX contacts_pending_transfer_idx ON contacts (id) WHERE pending_transfer IS NOT NULL;

      ALTER TABLE contact_offers ADD COLUMN kind text NOT NULL DEFAULT 'route' CHECK (kind IN ('route', 'transfer'));
      CREATE INDEX contact_offers_recent_declines_idx ON contact_offers (resolved_at) WHERE status IN ('rejected', 'expired');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX contact_offers_recent_declines_idx;
      ALTER TABLE contact_offers DROP COLUMN kind;
      DROP INDEX contacts_pending_transfer_idx;
      ALTER TABLE contacts DROP COLUMN queue_entered_at, DROP COLUMN preferred_agent_id, DROP COLUMN preferred_until,
        DROP COLUMN preferred_direct, DROP COLUMN routing_step, DROP COLUMN pending_transfer;
      ALTER TABLE agents DROP COLUMN voice_blocks_other_channels;
      ALTER TABLE queues DROP CONSTRAINT overflow_elsewhere, DROP COLUMN priority_policy, DROP COLUMN service_level_seconds,
        DROP COLUMN max_wait_seconds, DROP COLUMN overflow_queue_id, DROP COLUMN steps, DROP COLUMN sticky_seconds;
    `);
  }
}
