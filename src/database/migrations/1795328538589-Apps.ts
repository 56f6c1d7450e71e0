import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Apps1795328538589 implements MigrationInterface {
  name = 'Apps1795328538589';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "apps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tenant_id" uuid NOT NULL, "name" character varying(128) NOT NULL, "key_hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "key_rotated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c5121fda0f8268f1f7f84134e19" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_apps_key_hash" ON "apps"  ("key_hash") `);
    await queryRunner.query(`CREATE INDEX "ix_apps_tenant" ON "apps"  ("tenant_id") `);
    await queryRunner.query(`CREATE TABLE "app_mutes" ("app_id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e6ef1ffe9dd9b600d9b322c225b" PRIMARY KEY ("app_id", "user_id"))`);
    await queryRunner.query(`ALTER TABLE "apps" ADD CONSTRAINT "FK_e2c965018b9b99890ba9c8061f3" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "app_mutes" ADD CONSTRAINT "FK_b22b917cc44a11dff592c172be5" FOREIGN KEY ("app_id") REFERENCES "apps"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "app_mutes" ADD CONSTRAINT "FK_cb9652e9917d1efce6d4f547c07" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "app_mutes" DROP CONSTRAINT "FK_cb9652e9917d1efce6d4f547c07"`);
    await queryRunner.query(`ALTER TABLE "app_mutes" DROP CONSTRAINT "FK_b22b917cc44a11dff592c172be5"`);
    await queryRunner.query(`ALTER TABLE "apps" DROP CONSTRAINT "FK_e2c965018b9b99890ba9c8061f3"`);
    await queryRunner.query(`DROP TABLE "app_mutes"`);
    await queryRunner.query(`DROP INDEX "public"."ix_apps_tenant"`);
    await queryRunner.query(`DROP INDEX "public"."uq_apps_key_hash"`);
    await queryRunner.query(`DROP TABLE "apps"`);
  }
}
