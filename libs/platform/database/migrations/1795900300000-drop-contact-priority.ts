import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A contact's priority is computed by the routing engine from its queue's policy (tier, channel,
 * ageing); the stored column was never read. The waiting-contacts index loses it too.
 */
export class DropContactPriority1795900300000 implements MigrationInterface {
  name = 'DropContactPriority1795900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX contacts_waiting_idx;
      ALTER TABLE contacts DROP COLUMN priority;
      CREATE INDEX contacts_waiting_idx ON contacts (queue_id, queued_at) WHERE state = 'queued';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX contacts_waiting_idx;
      ALTER TABLE contacts ADD COLUMN priority integer NOT NULL DEFAULT 0;
      CREATE INDEX contacts_waiting_idx ON contacts (queue_id, priority DESC, queued_at, id) WHERE state = 'queued';
    `);
  }
}
