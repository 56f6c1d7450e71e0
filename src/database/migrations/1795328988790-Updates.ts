import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Updates1795328988790 implements MigrationInterface {
  name = 'Updates1795328988790';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "client_keys" ("key_id" character varying(40) NOT NULL, "name" character varying(128) NOT NULL, "secret_sealed" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_1f2a7ae6a60f4a21c6364bf69db" PRIMARY KEY ("key_id"))`);
    await queryRunner.query(`CREATE TABLE "devices" ("device_id" character varying(128) NOT NULL, "platform" character varying(32) NOT NULL, "model" character varying(128), "os_version" character varying(64), "app_version" character varying(64) NOT NULL, "app_locale" character varying(35), "device_locale" character varying(35), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2667f40edb344d6f274a0d42b6f" PRIMARY KEY ("device_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_devices_platform_version" ON "devices"  ("platform", "app_version") `);
    await queryRunner.query(`CREATE TABLE "releases" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "platform" character varying(32) NOT NULL, "version" character varying(64) NOT NULL, "version_parts" integer array NOT NULL, "notes" text NOT NULL DEFAULT '', "mandatory" boolean NOT NULL DEFAULT false, "size" bigint NOT NULL, "sha256" character(64) NOT NULL, "file_name" character varying(255), "downloads" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_releases_platform_version" UNIQUE ("platform", "version"), CONSTRAINT "PK_6b6fc2599a5a281dd44a7d64016" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_releases_platform_parts" ON "releases"  ("platform", "version_parts") `);
    await queryRunner.query(`CREATE TABLE "platform_policies" ("platform" character varying(32) NOT NULL, "min_supported_version" character varying(64) NOT NULL, "min_supported_parts" integer array NOT NULL, CONSTRAINT "PK_7fae758caba8b9cae5cc169d0f6" PRIMARY KEY ("platform"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "platform_policies"`);
    await queryRunner.query(`DROP INDEX "public"."ix_releases_platform_parts"`);
    await queryRunner.query(`DROP TABLE "releases"`);
    await queryRunner.query(`DROP INDEX "public"."ix_devices_platform_version"`);
    await queryRunner.query(`DROP TABLE "devices"`);
    await queryRunner.query(`DROP TABLE "client_keys"`);
  }
}
