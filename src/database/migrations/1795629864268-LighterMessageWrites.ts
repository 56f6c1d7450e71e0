import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LighterMessageWrites1795629864268 implements MigrationInterface {
  name = 'LighterMessageWrites1795629864268';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_conversations_activity"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messages_sender"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "ix_messages_sender" ON "messages" USING btree ("sender_id") `);
    await queryRunner.query(`CREATE INDEX "ix_conversations_activity" ON "conversations" USING btree ("last_activity_at", "id") `);
  }
}
