import { Injectable } from '@nestjs/common';
import { fileTypeFromFile } from 'file-type';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { displayFileName } from '../common/http/file-name.js';
import { queryRows } from '../database/sql.js';
import { Attachment } from './attachment.entity.js';

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

/** Uploaded files: stored under DATA_DIR/attachments by generated id, typed by their content. */
@Injectable()
export class AttachmentsService {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(
    private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.dir = join(config.dataDir, 'attachments');
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
      await mkdir(this.dir, { recursive: true });
      await rename(file.path, join(this.dir, id));
      return await this.dataSource.getRepository(Attachment).save({
        id,
        uploaderId,
        mime,
        size: file.size,
        sha256: hash.digest('hex'),
        name: displayFileName(file.originalname),
      });
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /** The file, for its uploader or a member of a conversation whose messages reference it. */
  async open(userId: string, id: string): Promise<{ attachment: Attachment; stream: ReadStream }> {
    const [row] = await queryRows<{ id: string }>(
      this.dataSource,
      `SELECT a.id FROM attachments a
        WHERE a.id = $1 AND (a.uploader_id = $2 OR EXISTS (
          SELECT 1 FROM message_attachments ma
            JOIN conversation_members cm ON cm.conversation_id = ma.conversation_id
           WHERE ma.attachment_id = a.id AND cm.user_id = $2))`,
      [id, userId],
    );
    if (!row) throw AppError.notFound('Attachment');
    const attachment = await this.dataSource.getRepository(Attachment).findOneByOrFail({ id });
    return { attachment, stream: createReadStream(join(this.dir, attachment.id)) };
  }
}
