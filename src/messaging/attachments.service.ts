import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { fileTypeFromFile } from 'file-type';
import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../common/config/app-config.js';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import { AppError } from '../common/errors/app-error.js';
import { displayFileName } from '../common/http/file-name.js';
import { FileStore } from '../common/storage/file-store.js';
import type { StoredAttachment } from './message.entity.js';
import type { Attachment } from './attachment.entity.js';
import { AttachmentsRepository } from './attachments.repository.js';

/** Content types Relay will not store, whatever the client calls them. */
const REFUSED_MIME = new Set([
  'application/x-msdownload',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-msi',
  'application/vnd.microsoft.portable-executable',
]);

export interface UploadedTemp {
  path: string;
  size: number;
  originalname: string;
}

/** Where an attachment's file is kept in the file store. */
const fileKey = (id: string): string => `attachments/${id}`;

/** Uploaded files: kept in the file store by generated id, typed by their content. */
@Injectable()
export class AttachmentsService implements OnModuleInit, OnModuleDestroy {
  /** Where uploads wait on this node while they are checked. */
  readonly tmpDir: string;

  private readonly logger = new Logger(AttachmentsService.name);
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly attachments: AttachmentsRepository,
    private readonly config: AppConfig,
    private readonly files: FileStore,
  ) {
    this.tmpDir = join(config.dataDir, 'tmp');
  }

  async store(uploaderId: string, file: UploadedTemp): Promise<Attachment> {
    try {
      const detected = await fileTypeFromFile(file.path);
      const mime = detected?.mime ?? 'application/octet-stream';
      if (REFUSED_MIME.has(mime))
        throw AppError.validation(`Files of type ${mime} are not accepted`, {
          fields: [{ field: 'file', problems: ['executable'] }],
        });
      const hash = createHash('sha256');
      await pipeline(createReadStream(file.path), hash);
      const id = randomUUID();
      await this.files.put(fileKey(id), file.path);
      const quota = this.config.limits.attachmentQuotaBytes;
      const { attachment, usedBytes } = await this.attachments
        .insertWithinQuota(
          {
            id,
            uploaderId,
            mime,
            size: file.size,
            sha256: hash.digest('hex'),
            name: displayFileName(file.originalname),
          },
          quota,
        )
        .catch(async (error: unknown) => {
          await this.files.remove(fileKey(id));
          throw error;
        });
      if (!attachment) {
        await this.files.remove(fileKey(id));
        throw new AppError(
          'QUOTA_EXCEEDED',
          'Your attachment storage is full; delete messages with files to free it',
          {
            quota: 'attachmentBytes',
            usedBytes,
            limitBytes: quota,
            requestedBytes: file.size,
          },
        );
      }
      return attachment;
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /** Sends the attachment's file as a download (ETag, 304, Range, RFC 6266 name). */
  send(res: Response, attachment: Attachment): Promise<void> {
    return this.files.send(res, fileKey(attachment.id), {
      etag: attachment.sha256,
      type: attachment.mime,
      name: attachment.name ?? attachment.id,
      size: attachment.size,
    });
  }

  /**
   * Deletes uploads no message references once they are older than ATTACHMENT_ORPHAN_TTL_HOURS
   * (never sent, or every message that carried them deleted), rows and files; returns how many.
   */
  async collectOrphans(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.limits.attachmentOrphanTtlHours * 3_600_000);
    let total = 0;
    for (;;) {
      const ids = await this.attachments.deleteOrphans(before, 500);
      await Promise.all(ids.map((id) => this.files.remove(fileKey(id))));
      total += ids.length;
      if (ids.length < 500) return total;
    }
  }

  onModuleInit(): void {
    // Hourly (or sooner for short lifetimes) on every node; concurrent sweeps delete each row once.
    const everyMs = Math.max(
      60_000,
      Math.min(3_600_000, (this.config.limits.attachmentOrphanTtlHours * 3_600_000) / 4),
    );
    this.sweeper = setInterval(() => {
      this.collectOrphans().catch((error: unknown) =>
        this.logger.warn({ err: loggable(error) }, 'collecting orphaned attachments failed'),
      );
    }, everyMs);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** The attachment, for its uploader or a member of a conversation whose messages reference it. */
  async visible(userId: string, id: string): Promise<Attachment> {
    const attachment = await this.attachments.findVisible(userId, id);
    if (!attachment) throw AppError.notFound('Attachment');
    return attachment;
  }

  /** The attachments of a message being sent: each must be one the sender uploaded. */
  async ownedBy(userId: string, ids: string[]): Promise<StoredAttachment[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const found = await this.attachments.findOwned(userId, unique);
    if (found.length !== unique.length) {
      throw AppError.validation('attachments must be files you uploaded', {
        fields: [{ field: 'attachments', problems: ['unknown attachment id'] }],
      });
    }
    const byId = new Map(found.map((a) => [a.id, a]));
    return unique.map((id) => {
      const a = byId.get(id)!;
      return { id: a.id, mime: a.mime, size: a.size, name: a.name };
    });
  }
}
