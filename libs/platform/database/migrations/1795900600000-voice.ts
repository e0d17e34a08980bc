import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Voice: the menu each of our numbers answers with, each call's legs and times, and where an agent
 * takes calls (a browser softphone identity, a phone number or a SIP address).
 */
export class Voice1795900600000 implements MigrationInterface {
  name = 'Voice1795900600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- the IVR a dialled number answers with: {greeting, prompt, options: {digit: {queue} | {menu} | {voicemail}}, ...}
      CREATE TABLE voice_menus (
        number text PRIMARY KEY,
        menu jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- one row per inbound call: the caller's leg (the provider's id), the contact once it is queued, the agent's leg
      CREATE TABLE voice_calls (
        call_sid text PRIMARY KEY,
        contact_id uuid UNIQUE REFERENCES contacts (id),
        from_number text NOT NULL,
        to_number text NOT NULL,
        status text NOT NULL,
        agent_id uuid REFERENCES agents (user_id),
        agent_call_sid text UNIQUE,
        -- the leg of the agent the call is moving away from (a warm transfer): hung up once the next agent answers
        previous_agent_call_sid text,
        agent_rung_at timestamptz,
        bridged_at timestamptz,
        on_hold boolean NOT NULL DEFAULT false,
        hold_started_at timestamptz,
        hold_seconds integer NOT NULL DEFAULT 0,
        ended_at timestamptz,
        recording_url text,
        -- the caller chose to be called back: they hung up, the contact keeps its place
        callback_requested boolean NOT NULL DEFAULT false,
        callback_attempts integer NOT NULL DEFAULT 0,
        callback_call_sid text,
        -- the caller left a voicemail on their waiting contact (after hours): hanging up is not abandoning
        voicemail_left boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      ALTER TABLE agents ADD COLUMN voice_endpoint text;
      -- calls answered in this queue are recorded
      ALTER TABLE queues ADD COLUMN record_calls boolean NOT NULL DEFAULT false;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE queues DROP COLUMN record_calls;
      ALTER TABLE agents DROP COLUMN voice_endpoint;
      DROP TABLE voice_calls, voice_menus;
    `);
  }
}
