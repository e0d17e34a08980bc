import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supervision and round-the-clock operation: business-hours calendars that queues refer to, each
 * queue's after-hours handling per channel and service-level clock, supervisors as message authors
 * (whisper, barge-in), CSAT on contacts, and the append-only agent state log reports are built from.
 */
export class SupervisionAndHours1795900500000 implements MigrationInterface {
  name = 'SupervisionAndHours1795900500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calendars (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        -- {timeZone, weekly: [{day, open, close}], holidays: [{date, name}], overrides: [{date, closed | spans}]}
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX calendars_name_key ON calendars (lower(name));

      ALTER TABLE queues
        -- no calendar: always open
        ADD COLUMN calendar_id uuid REFERENCES calendars (id),
        -- per channel: {action: 'wait' | 'overflow', overflowQueueId?}; the reply is after_hours_message
        ADD COLUMN after_hours jsonb NOT NULL DEFAULT '{}',
        -- the service-level clock stops while the queue is closed (overnight email is no breach)
        ADD COLUMN service_level_pauses_when_closed boolean NOT NULL DEFAULT false;

      ALTER TABLE messages DROP CONSTRAINT messages_author_type_check;
      ALTER TABLE messages ADD CONSTRAINT messages_author_type_check CHECK (author_type IN ('customer', 'agent', 'system', 'supervisor'));

      -- the customer's satisfaction score (1-5), when a survey gave one
      ALTER TABLE contacts ADD COLUMN csat smallint CHECK (csat BETWEEN 1 AND 5);

      -- append-only: every presence an agent was in, from when, and who set it
      CREATE TABLE agent_state_log (
        id bigserial PRIMARY KEY,
        agent_id uuid NOT NULL REFERENCES agents (user_id),
        presence text NOT NULL,
        away_reason text,
        -- who changed it: the agent themselves unless a supervisor or the system said otherwise
        actor_type text NOT NULL DEFAULT 'agent',
        actor_id uuid,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX agent_state_log_agent_idx ON agent_state_log (agent_id, started_at);

      -- written by the database itself, so no code path that changes presence can forget it; a
      -- transaction names another actor with set_config('cc.actor', '<type>:<uuid>', true)
      CREATE FUNCTION log_agent_presence() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        actor text := nullif(current_setting('cc.actor', true), '');
      BEGIN
        INSERT INTO agent_state_log (agent_id, presence, away_reason, actor_type, actor_id)
        VALUES (NEW.user_id, NEW.presence, NEW.away_reason,
                COALESCE(split_part(actor, ':', 1), 'agent'), nullif(split_part(COALESCE(actor, ''), ':', 2), '')::uuid);
        RETURN NEW;
      END $$;
      CREATE TRIGGER agents_presence_logged AFTER INSERT ON agents FOR EACH ROW EXECUTE FUNCTION log_agent_presence();
      CREATE TRIGGER agents_presence_changed AFTER UPDATE OF presence, away_reason ON agents FOR EACH ROW
        WHEN (OLD.presence IS DISTINCT FROM NEW.presence OR OLD.away_reason IS DISTINCT FROM NEW.away_reason)
        EXECUTE FUNCTION log_agent_presence();
      INSERT INTO agent_state_log (agent_id, presence, away_reason, actor_type, started_at)
        SELECT user_id, presence, away_reason, 'system', presence_since FROM agents;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER agents_presence_changed ON agents;
      DROP TRIGGER agents_presence_logged ON agents;
      DROP FUNCTION log_agent_presence();
      DROP TABLE agent_state_log;
      ALTER TABLE contacts DROP COLUMN csat;
      DELETE FROM messages WHERE author_type = 'supervisor';
      ALTER TABLE messages DROP CONSTRAINT messages_author_type_check;
      ALTER TABLE messages ADD CONSTRAINT messages_author_type_check CHECK (author_type IN ('customer', 'agent', 'system'));
      ALTER TABLE queues DROP COLUMN calendar_id, DROP COLUMN after_hours, DROP COLUMN service_level_pauses_when_closed;
      DROP TABLE calendars;
    `);
  }
}
