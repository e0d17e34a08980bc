import { MigrationInterface, QueryRunner } from 'typeorm';

/** The automatic reply a queue sends a waiting customer when a routing step applies its after-hours action. */
export class AfterHoursMessage1795900200000 implements MigrationInterface {
  name = 'AfterHoursMessage1795900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE queues ADD COLUMN after_hours_message text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE queues DROP COLUMN after_hours_message`);
  }
}
