import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1796205960162 implements MigrationInterface {
  name = 'Notifications1796205960162';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "notification_settings" ("user_id" uuid NOT NULL, "show_previews" boolean NOT NULL DEFAULT true, "do_not_disturb_until" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_91a7ffebe8b406c4470845d4781" PRIMARY KEY ("user_id"))`);
    await queryRunner.query(`CREATE TABLE "notification_marks" ("user_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "notified_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_44dd8236a66be6ac1d5fcd0b8f6" PRIMARY KEY ("user_id", "conversation_id"))`);
    await queryRunner.query(`CREATE TABLE "push_keys" ("name" character varying(16) NOT NULL, "public_key" text NOT NULL, "private_key" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ea5989c4e1d65f16b583fb71090" PRIMARY KEY ("name"))`);
    await queryRunner.query(`CREATE TABLE "push_subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "session_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "address" character varying(1024) NOT NULL, "p256dh" character varying(128), "auth" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_757fc8f00c34f66832668dc2e53" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_push_subscriptions_session" ON "push_subscriptions"  ("session_id") `);
    await queryRunner.query(`CREATE INDEX "ix_push_subscriptions_user" ON "push_subscriptions"  ("user_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_push_subscriptions_address" ON "push_subscriptions"  ("kind", "address") `);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD "muted_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "notification_settings" ADD CONSTRAINT "FK_91a7ffebe8b406c4470845d4781" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "notification_marks" ADD CONSTRAINT "FK_3a8c0017ee1907bf95f24605575" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "notification_marks" ADD CONSTRAINT "FK_977bf8d2b85b38189f8f29f3c2a" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" ADD CONSTRAINT "FK_6771f119f1c06d2ccf38f238664" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" ADD CONSTRAINT "FK_d1de1cf3978af9932b61f122913" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "push_subscriptions" DROP CONSTRAINT "FK_d1de1cf3978af9932b61f122913"`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" DROP CONSTRAINT "FK_6771f119f1c06d2ccf38f238664"`);
    await queryRunner.query(`ALTER TABLE "notification_marks" DROP CONSTRAINT "FK_977bf8d2b85b38189f8f29f3c2a"`);
    await queryRunner.query(`ALTER TABLE "notification_marks" DROP CONSTRAINT "FK_3a8c0017ee1907bf95f24605575"`);
    await queryRunner.query(`ALTER TABLE "notification_settings" DROP CONSTRAINT "FK_91a7ffebe8b406c4470845d4781"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP COLUMN "muted_until"`);
    await queryRunner.query(`DROP INDEX "public"."uq_push_subscriptions_address"`);
    await queryRunner.query(`DROP INDEX "public"."ix_push_subscriptions_user"`);
    await queryRunner.query(`DROP INDEX "public"."ix_push_subscriptions_session"`);
    await queryRunner.query(`DROP TABLE "push_subscriptions"`);
    await queryRunner.query(`DROP TABLE "push_keys"`);
    await queryRunner.query(`DROP TABLE "notification_marks"`);
    await queryRunner.query(`DROP TABLE "notification_settings"`);
  }
}
