import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Messaging1795327940695 implements MigrationInterface {
  name = 'Messaging1795327940695';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" character varying(16) NOT NULL, "title" character varying(128), "pair_key" character varying(80), "group_id" uuid, "org_unit_id" uuid, "app_id" uuid, "member_count" integer NOT NULL DEFAULT '0', "last_seq" bigint NOT NULL DEFAULT '0', "last_activity_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_conversations_pair_key" ON "conversations"  ("pair_key") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_conversations_group" ON "conversations"  ("group_id") `);
    await queryRunner.query(`CREATE INDEX "ix_conversations_activity" ON "conversations"  ("last_activity_at", "id") `);
    await queryRunner.query(`CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "conversation_id" uuid NOT NULL, "seq" bigint NOT NULL, "sender_id" uuid, "app_id" uuid, "type" character varying(16) NOT NULL DEFAULT 'text', "body" text NOT NULL, "attachments" jsonb NOT NULL DEFAULT '[]', "client_msg_id" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "edited_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_messages_sender_client_msg_id" UNIQUE ("sender_id", "client_msg_id"), CONSTRAINT "uq_messages_conversation_seq" UNIQUE ("conversation_id", "seq"), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_messages_sender" ON "messages"  ("sender_id") `);
    await queryRunner.query(`CREATE TABLE "attachments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "uploader_id" uuid NOT NULL, "mime" character varying(128) NOT NULL, "size" bigint NOT NULL, "sha256" character(64) NOT NULL, "name" character varying(255), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5e1f050bcff31e3084a1d662412" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_attachments_uploader" ON "attachments"  ("uploader_id") `);
    await queryRunner.query(`CREATE TABLE "message_attachments" ("attachment_id" uuid NOT NULL, "message_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, CONSTRAINT "PK_17a88b5467bba19d7b3e7d2519b" PRIMARY KEY ("attachment_id", "message_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_message_attachments_conversation" ON "message_attachments"  ("conversation_id") `);
    await queryRunner.query(`CREATE TABLE "conversation_members" ("conversation_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL DEFAULT 'member', "read_seq" bigint NOT NULL DEFAULT '0', "delivered_seq" bigint NOT NULL DEFAULT '0', "muted" boolean NOT NULL DEFAULT false, "joined_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5fa9076068b6f2a26fb793d2439" PRIMARY KEY ("conversation_id", "user_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_conversation_members_user" ON "conversation_members"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_0ef0554da4e0685e32bb3272102" FOREIGN KEY ("attachment_id") REFERENCES "attachments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD CONSTRAINT "FK_36340a1704b039608e34244511f" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD CONSTRAINT "FK_a46c76be8f62c4b00a835cdc370" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP CONSTRAINT "FK_a46c76be8f62c4b00a835cdc370"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP CONSTRAINT "FK_36340a1704b039608e34244511f"`);
    await queryRunner.query(`ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88"`);
    await queryRunner.query(`ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_0ef0554da4e0685e32bb3272102"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversation_members_user"`);
    await queryRunner.query(`DROP TABLE "conversation_members"`);
    await queryRunner.query(`DROP INDEX "public"."ix_message_attachments_conversation"`);
    await queryRunner.query(`DROP TABLE "message_attachments"`);
    await queryRunner.query(`DROP INDEX "public"."ix_attachments_uploader"`);
    await queryRunner.query(`DROP TABLE "attachments"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messages_sender"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversations_activity"`);
    await queryRunner.query(`DROP INDEX "public"."uq_conversations_group"`);
    await queryRunner.query(`DROP INDEX "public"."uq_conversations_pair_key"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
  }
}
