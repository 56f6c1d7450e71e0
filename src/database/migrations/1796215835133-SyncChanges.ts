import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SyncChanges1796215835133 implements MigrationInterface {
  name = 'SyncChanges1796215835133';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "conversation_departures" ("user_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "xid" bigint NOT NULL, "left_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d399d2db50107471594afecea91" PRIMARY KEY ("user_id", "conversation_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_conversation_departures_user_xid" ON "conversation_departures"  ("user_id", "xid") `);
    await queryRunner.query(`ALTER TABLE "messages" ADD "changed_xid" bigint`);
    await queryRunner.query(`CREATE INDEX "ix_messages_changes" ON "messages"  ("conversation_id", "changed_xid") WHERE "changed_xid" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "conversation_departures" ADD CONSTRAINT "FK_2838ca78d83aab62a036406fe9e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversation_departures" DROP CONSTRAINT "FK_2838ca78d83aab62a036406fe9e"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messages_changes"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "changed_xid"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversation_departures_user_xid"`);
    await queryRunner.query(`DROP TABLE "conversation_departures"`);
  }
}
