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
        bridged_at timestamptz,
        on_hold boolean NOT NULL DEFAULT false,
        hold_started_at timestamptz,
        hold_seconds integer NOT NULL DEFAULT 0,
        ended_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      ALTER TABLE agents ADD COLUMN voice_endpoint text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE agents DROP COLUMN voice_endpoint;
      DROP TABLE voice_calls, voice_menus;
    `);
  }
}
