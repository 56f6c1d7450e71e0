import type { MigrationInterface, QueryRunner } from 'typeorm';

export class GroupsAndOrgs1795328251945 implements MigrationInterface {
  name = 'GroupsAndOrgs1795328251945';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(128) NOT NULL, "name_key" character varying(128) NOT NULL, "topic" character varying(512), "visibility" character varying(16) NOT NULL DEFAULT 'private', "members_can_invite" boolean NOT NULL DEFAULT false, "max_members" integer NOT NULL DEFAULT '500', "tenant_id" uuid, "conversation_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_659d1483316afb28afd3a90646e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_groups_tenant" ON "groups"  ("tenant_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_groups_conversation" ON "groups"  ("conversation_id") `);
    await queryRunner.query(`CREATE INDEX "ix_groups_public_name" ON "groups"  ("visibility", "name_key", "id") `);
    await queryRunner.query(`CREATE TABLE "tenants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(128) NOT NULL, "app_pushes_per_day" integer, "messages_per_day" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "tenant_members" ("tenant_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0b89826fd3107a38e93be7f7e09" PRIMARY KEY ("tenant_id", "user_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_tenant_members_user" ON "tenant_members"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "tenant_usage" ("tenant_id" uuid NOT NULL, "day" date NOT NULL, "app_pushes" integer NOT NULL DEFAULT '0', "messages" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_20a9e4c203fece71bd8fb191f36" PRIMARY KEY ("tenant_id", "day"))`);
    await queryRunner.query(`CREATE TABLE "org_units" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "parent_id" uuid, "name" character varying(128) NOT NULL, "conversation_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b4a19b7f3756560cd75643be5a7" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_org_units_parent" ON "org_units"  ("parent_id") `);
    await queryRunner.query(`CREATE INDEX "ix_org_units_tenant" ON "org_units"  ("tenant_id") `);
    await queryRunner.query(`CREATE TABLE "org_unit_members" ("unit_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_03adb0d29906c9887899787c3b2" PRIMARY KEY ("unit_id", "user_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_org_unit_members_user" ON "org_unit_members"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "tenant_members" ADD CONSTRAINT "FK_ffba0c9ecd4fd98550b3300ae68" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "tenant_members" ADD CONSTRAINT "FK_396d571d91da471867fcfbdd2e4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "tenant_usage" ADD CONSTRAINT "FK_0caea5648903d1c152b11966f8b" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "org_units" ADD CONSTRAINT "FK_7a908bc3d0c47dbc7964b8c1091" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "org_units" ADD CONSTRAINT "FK_93e336d1c079edb2cecd9c8f599" FOREIGN KEY ("parent_id") REFERENCES "org_units"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "org_unit_members" ADD CONSTRAINT "FK_50e51f0d959c66767941b833cef" FOREIGN KEY ("unit_id") REFERENCES "org_units"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "org_unit_members" ADD CONSTRAINT "FK_686e27e9bde01ef75b8ac056ba6" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "org_unit_members" DROP CONSTRAINT "FK_686e27e9bde01ef75b8ac056ba6"`);
    await queryRunner.query(`ALTER TABLE "org_unit_members" DROP CONSTRAINT "FK_50e51f0d959c66767941b833cef"`);
    await queryRunner.query(`ALTER TABLE "org_units" DROP CONSTRAINT "FK_93e336d1c079edb2cecd9c8f599"`);
    await queryRunner.query(`ALTER TABLE "org_units" DROP CONSTRAINT "FK_7a908bc3d0c47dbc7964b8c1091"`);
    await queryRunner.query(`ALTER TABLE "tenant_usage" DROP CONSTRAINT "FK_0caea5648903d1c152b11966f8b"`);
    await queryRunner.query(`ALTER TABLE "tenant_members" DROP CONSTRAINT "FK_396d571d91da471867fcfbdd2e4"`);
    await queryRunner.query(`ALTER TABLE "tenant_members" DROP CONSTRAINT "FK_ffba0c9ecd4fd98550b3300ae68"`);
    await queryRunner.query(`DROP INDEX "public"."ix_org_unit_members_user"`);
    await queryRunner.query(`DROP TABLE "org_unit_members"`);
    await queryRunner.query(`DROP INDEX "public"."ix_org_units_tenant"`);
    await queryRunner.query(`DROP INDEX "public"."ix_org_units_parent"`);
    await queryRunner.query(`DROP TABLE "org_units"`);
    await queryRunner.query(`DROP TABLE "tenant_usage"`);
    await queryRunner.query(`DROP INDEX "public"."ix_tenant_members_user"`);
    await queryRunner.query(`DROP TABLE "tenant_members"`);
    await queryRunner.query(`DROP TABLE "tenants"`);
    await queryRunner.query(`DROP INDEX "public"."ix_groups_public_name"`);
    await queryRunner.query(`DROP INDEX "public"."uq_groups_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."ix_groups_tenant"`);
    await queryRunner.query(`DROP TABLE "groups"`);
  }
}
