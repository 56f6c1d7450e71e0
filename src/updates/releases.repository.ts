import { Injectable } from '@nestjs/common';
import { DataSource, type DeepPartial } from 'typeorm';
import { decodeCursor } from '../common/pagination/cursor.js';
import { queryRows } from '../database/sql.js';
import { PlatformPolicy, Release } from './release.entity.js';

/** The SQL of releases and per-platform policies. */
@Injectable()
export class ReleasesRepository {
  constructor(private readonly db: DataSource) {}

  insert(release: DeepPartial<Release>): Promise<Release> {
    const repo = this.db.getRepository(Release);
    return repo.save(repo.create(release));
  }

  findById(id: string): Promise<Release | null> {
    return this.db.getRepository(Release).findOneBy({ id });
  }

  async delete(id: string): Promise<void> {
    await this.db.getRepository(Release).delete({ id });
  }

  /** Releases (of one platform, when given), newest first, after the cursor `[createdAt, id]`. */
  page(platform: string | undefined, limit: number, cursor?: string): Promise<Release[]> {
    const qb = this.db.getRepository(Release).createQueryBuilder('r');
    if (platform) qb.where('r.platform = :platform', { platform });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['timestamp', 'uuid'] as const);
      qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at, id });
    }
    return qb.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit).getMany();
  }

  async countDownload(id: string): Promise<void> {
    await this.db.query('UPDATE releases SET downloads = downloads + 1 WHERE id = $1', [id]);
  }

  async upsertPolicy(
    platform: string,
    minSupportedVersion: string,
    parts: number[],
  ): Promise<PlatformPolicy> {
    const repo = this.db.getRepository(PlatformPolicy);
    await repo.upsert({ platform, minSupportedVersion, minSupportedParts: parts }, ['platform']);
    return (await repo.findOneBy({ platform }))!;
  }

  /** The platform's highest version (the newest upload among equal versions). */
  async latest(platform: string): Promise<Release | null> {
    const [latest] = await this.db
      .getRepository(Release)
      .find({ where: { platform }, order: { versionParts: 'DESC', createdAt: 'DESC' }, take: 1 });
    return latest ?? null;
  }

  /** Whether a mandatory release newer than `version` exists, and whether `version` is below the platform's minimum. */
  async mustUpdate(platform: string, version: number[]): Promise<boolean> {
    const [row] = await queryRows<{ newer_mandatory: boolean; below_minimum: boolean }>(
      this.db,
      `SELECT EXISTS (SELECT 1 FROM releases WHERE platform = $1 AND mandatory AND version_parts > $2::int[]) AS newer_mandatory,
              EXISTS (SELECT 1 FROM platform_policies WHERE platform = $1 AND min_supported_parts > $2::int[]) AS below_minimum`,
      [platform, version],
    );
    return Boolean(row?.newer_mandatory || row?.below_minimum);
  }
}
