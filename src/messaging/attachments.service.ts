import { Injectable } from '@nestjs/common';
import { fileTypeFromFile } from 'file-type';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { displayFileName } from '../common/http/file-name.js';
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

/** Uploaded files: stored under DATA_DIR/attachments by generated id, typed by their content. */
@Injectable()
export class AttachmentsService {
  readonly dir: string;
  readonly tmpDir: string;

  constructor(
    private readonly attachments: AttachmentsRepository,
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
      return await this.attachments.insert({
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
    const attachment = await this.attachments.findVisible(userId, id);
    if (!attachment) throw AppError.notFound('Attachment');
    return { attachment, stream: createReadStream(join(this.dir, attachment.id)) };
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
