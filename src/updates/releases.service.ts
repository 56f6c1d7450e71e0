import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { displayFileName } from '../common/http/file-name.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import { queryRows } from '../database/sql.js';
import type { CreateReleaseDto, ReleaseDto, UpdateCheckDto } from './dto/updates.dto.js';
import { ReleasePublishedEvent } from './events/release-published.event.js';
import type { HashedFile } from './hashing-storage.js';
import { PlatformPolicy, Release } from './release.entity.js';
import { compareVersions, parseVersion } from './version.js';

export const toReleaseDto = (r: Release): ReleaseDto => ({
  id: r.id,
  version: r.version,
  platform: r.platform,
  notes: r.notes,
  size: r.size,
  sha256: r.sha256,
  mandatory: r.mandatory,
  downloadUrl: `/api/v1/releases/${r.id}/download`,
  downloads: r.downloads,
  createdAt: r.createdAt.toISOString(),
});

@Injectable()
export class ReleasesService {
  readonly dir: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: EventEmitter2,
    config: AppConfig,
  ) {
    this.dir = join(config.dataDir, 'releases');
  }

  /** Files finished uploading go here while their fields are checked. */
  get uploadDir(): string {
    return join(this.dir, 'incoming');
  }

  /** Stores an uploaded (already hashed) file as a release; the file is removed on any refusal. */
  async publish(file: HashedFile & { originalname: string }, dto: CreateReleaseDto): Promise<ReleaseDto> {
    try {
      const parts = parseVersion(dto.version)!;
      const repo = this.dataSource.getRepository(Release);
      let release: Release;
      try {
        release = await repo.save(
          repo.create({
            platform: dto.platform,
            version: dto.version,
            versionParts: parts,
            notes: dto.notes ?? '',
            mandatory: dto.mandatory ?? false,
            size: file.size,
            sha256: file.sha256,
            fileName: displayFileName(file.originalname),
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw AppError.conflict(`Release ${dto.version} for ${dto.platform} already exists`);
        throw error;
      }
      await mkdir(this.dir, { recursive: true });
      await rename(file.path, this.filePath(release.id));
      const view = toReleaseDto(release);
      this.events.emit(ReleasePublishedEvent.event, new ReleasePublishedEvent(view));
      return view;
    } finally {
      await rm(file.path, { force: true });
    }
  }

  async list(platform: string | undefined, limit: number, cursor?: string): Promise<Page<ReleaseDto>> {
    const qb = this.dataSource.getRepository(Release).createQueryBuilder('r');
    if (platform) qb.where('r.platform = :platform', { platform });
    if (cursor) {
      const [at, id] = decodeCursor(cursor, ['string', 'string'] as const);
      qb.andWhere('(r.created_at, r.id) < (:at, :id)', { at, id });
    }
    const rows = await qb
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    return toPage(rows, limit, toReleaseDto, (r) => encodeCursor([r.createdAt.toISOString(), r.id]));
  }

  async get(id: string): Promise<Release> {
    const release = await this.dataSource.getRepository(Release).findOneBy({ id });
    if (!release) throw AppError.notFound('Release');
    return release;
  }

  async delete(id: string): Promise<void> {
    const release = await this.get(id);
    await this.dataSource.getRepository(Release).delete({ id });
    await rm(this.filePath(release.id), { force: true });
  }

  filePath(id: string): string {
    return join(this.dir, id);
  }

  async countDownload(id: string): Promise<void> {
    await this.dataSource.query('UPDATE releases SET downloads = downloads + 1 WHERE id = $1', [id]);
  }

  async setPolicy(platform: string, minSupportedVersion: string): Promise<PlatformPolicy> {
    const repo = this.dataSource.getRepository(PlatformPolicy);
    await repo.upsert(
      { platform, minSupportedVersion, minSupportedParts: parseVersion(minSupportedVersion)! },
      ['platform'],
    );
    return repo.findOneByOrFail({ platform });
  }

  /**
   * What a client at `version` on `platform` should do: update when a newer release exists; must,
   * when a newer release is mandatory or the version is below the platform's minimum.
   */
  async check(version: string, platform: string): Promise<UpdateCheckDto> {
    const mine = parseVersion(version);
    if (!mine) {
      throw AppError.validation('version must be 1-4 dot-separated integers', {
        fields: [{ field: 'version', problems: ['not a version'] }],
      });
    }
    const [latest] = await this.dataSource
      .getRepository(Release)
      .find({ where: { platform }, order: { versionParts: 'DESC', createdAt: 'DESC' }, take: 1 });
    const [row] = await queryRows<{ newer_mandatory: boolean; below_minimum: boolean }>(
      this.dataSource,
      `SELECT EXISTS (SELECT 1 FROM releases WHERE platform = $1 AND mandatory AND version_parts > $2::int[]) AS newer_mandatory,
              EXISTS (SELECT 1 FROM platform_policies WHERE platform = $1 AND min_supported_parts > $2::int[]) AS below_minimum`,
      [platform, mine],
    );
    const updateAvailable = latest !== undefined && compareVersions(latest.versionParts, mine) > 0;
    return {
      updateAvailable,
      mandatory: Boolean(row?.newer_mandatory || row?.below_minimum),
      latest: latest ? toReleaseDto(latest) : null,
    };
  }
}
