import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/sql.js';
import type { Attachment } from './attachment.entity.js';

const ATTACHMENT_COLUMNS = `id, uploader_id AS "uploaderId", mime, size::float8 AS size, sha256, name,
  created_at AS "createdAt"`;

/** The SQL of uploaded files. */
@Injectable()
export class AttachmentsRepository {
  constructor(private readonly db: DataSource) {}

  async insert(a: Omit<Attachment, 'createdAt'>): Promise<Attachment> {
    const [row] = await queryRows<Attachment>(
      this.db,
      `INSERT INTO attachments (id, uploader_id, mime, size, sha256, name) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${ATTACHMENT_COLUMNS}`,
      [a.id, a.uploaderId, a.mime, a.size, a.sha256, a.name],
    );
    return row!;
  }

  /** Of these attachments, the ones the user uploaded. */
  findOwned(uploaderId: string, ids: string[]): Promise<Attachment[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return queryRows<Attachment>(
      this.db,
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = ANY($1::uuid[]) AND uploader_id = $2`,
      [ids, uploaderId],
    );
  }

  /** The attachment, when the user uploaded it or is a member of a conversation whose messages reference it. */
  async findVisible(userId: string, id: string): Promise<Attachment | null> {
    const [row] = await queryRows<Attachment>(
      this.db,
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments a
        WHERE a.id = $1 AND (a.uploader_id = $2 OR EXISTS (
          SELECT 1 FROM message_attachments ma
            JOIN conversation_members cm ON cm.conversation_id = ma.conversation_id
           WHERE ma.attachment_id = a.id AND cm.user_id = $2))`,
      [id, userId],
    );
    return row ?? null;
  }
}
