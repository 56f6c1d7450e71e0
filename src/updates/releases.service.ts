import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import { displayFileName } from '../common/http/file-name.js';
import { FileStore } from '../common/storage/file-store.js';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { isUniqueViolation } from '../database/pg-errors.js';
import type { CreateReleaseDto, ReleaseDto, UpdateCheckDto } from './dto/updates.dto.js';
import { ReleasePublishedEvent } from './events/release-published.event.js';
import type { HashedFile } from './hashing-storage.js';
import type { PlatformPolicy, Release } from './release.entity.js';
import { ReleasesRepository } from './releases.repository.js';
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

/** Where a release's file is kept in the file store. */
const fileKey = (id: string): string => `releases/${id}`;

@Injectable()
export class ReleasesService {
  /** Where uploads wait on this node while their fields are checked. */
  readonly uploadDir: string;

  constructor(
    private readonly releases: ReleasesRepository,
    private readonly events: DomainEventBus,
    private readonly files: FileStore,
    config: AppConfig,
  ) {
    this.uploadDir = join(config.dataDir, 'releases', 'incoming');
  }

  /** Stores an uploaded (already hashed) file as a release; the file is removed on any refusal. */
  async publish(file: HashedFile & { originalname: string }, dto: CreateReleaseDto): Promise<ReleaseDto> {
    try {
      const parts = parseVersion(dto.version)!;
      let release: Release;
      try {
        release = await this.releases.insert({
          platform: dto.platform,
          version: dto.version,
          versionParts: parts,
          notes: dto.notes ?? '',
          mandatory: dto.mandatory ?? false,
          size: file.size,
          sha256: file.sha256,
          fileName: displayFileName(file.originalname),
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw AppError.conflict(`Release ${dto.version} for ${dto.platform} already exists`);
        throw error;
      }
      await this.files.put(fileKey(release.id), file.path);
      const view = toReleaseDto(release);
      this.events.emit(ReleasePublishedEvent.event, new ReleasePublishedEvent(view));
      return view;
    } finally {
      await rm(file.path, { force: true });
    }
  }

  async list(platform: string | undefined, limit: number, cursor?: string): Promise<Page<ReleaseDto>> {
    const rows = await this.releases.page(platform, limit + 1, cursor);
    return toPage(rows, limit, toReleaseDto, (r) => encodeCursor([r.createdAt.toISOString(), r.id]));
  }

  async get(id: string): Promise<Release> {
    const release = await this.releases.findById(id);
    if (!release) throw AppError.notFound('Release');
    return release;
  }

  async delete(id: string): Promise<void> {
    const release = await this.get(id);
    await this.releases.delete(id);
    await this.files.remove(fileKey(release.id));
  }

  /** Sends the release's file as a download (ETag, 304, Range, RFC 6266 name). */
  send(res: Response, release: Release): Promise<void> {
    return this.files.send(res, fileKey(release.id), {
      etag: release.sha256,
      type: 'application/octet-stream',
      name: release.fileName ?? `${release.platform}-${release.version}`,
      size: release.size,
    });
  }

  async countDownload(id: string): Promise<void> {
    await this.releases.countDownload(id);
  }

  async setPolicy(platform: string, minSupportedVersion: string): Promise<PlatformPolicy> {
    return this.releases.upsertPolicy(platform, minSupportedVersion, parseVersion(minSupportedVersion)!);
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
    const [latest, mandatory] = await Promise.all([
      this.releases.latest(platform),
      this.releases.mustUpdate(platform, mine),
    ]);
    const updateAvailable = latest !== null && compareVersions(latest.versionParts, mine) > 0;
    return {
      updateAvailable,
      mandatory,
      latest: latest ? toReleaseDto(latest) : null,
    };
  }
}
