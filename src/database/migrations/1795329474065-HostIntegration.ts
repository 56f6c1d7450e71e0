import type { MigrationInterface, QueryRunner } from 'typeorm';

export class HostIntegration1795329474065 implements MigrationInterface {
  name = 'HostIntegration1795329474065';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "friend_invites" ("code" character varying(32) NOT NULL, "creator_id" uuid NOT NULL, "multi_use" boolean NOT NULL DEFAULT false, "uses" integer NOT NULL DEFAULT '0', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ea9ac49b8a818ecd68e4b432338" PRIMARY KEY ("code"))`);
    await queryRunner.query(`CREATE INDEX "ix_friend_invites_creator" ON "friend_invites"  ("creator_id") `);
    await queryRunner.query(`ALTER TABLE "groups" ADD "external_id" character varying(255)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_groups_external_id" ON "groups"  ("external_id") `);
    await queryRunner.query(`ALTER TABLE "friend_invites" ADD CONSTRAINT "FK_ab1cdf3027dcae9e20a347e12c4" FOREIGN KEY ("creator_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "friend_invites" DROP CONSTRAINT "FK_ab1cdf3027dcae9e20a347e12c4"`);
    await queryRunner.query(`DROP INDEX "public"."uq_groups_external_id"`);
    await queryRunner.query(`ALTER TABLE "groups" DROP COLUMN "external_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_friend_invites_creator"`);
    await queryRunner.query(`DROP TABLE "friend_invites"`);
  }
}
