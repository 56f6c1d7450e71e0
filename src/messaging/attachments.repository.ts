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

  /**
   * Inserts an attachment unless the uploader's stored bytes would pass `quotaBytes` (0: no
   * limit); then null, and what they use. Uploads of one user are serialised by an advisory lock,
   * so concurrent ones cannot together pass the quota.
   */
  async insertWithinQuota(
    a: Omit<Attachment, 'createdAt'>,
    quotaBytes: number,
  ): Promise<{ attachment: Attachment | null; usedBytes: number }> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('attachments:' || $1, 0))`, [
        a.uploaderId,
      ]);
      const [row] = await queryRows<Attachment & { used: number }>(
        tx,
        `WITH used AS (SELECT COALESCE(sum(size), 0)::float8 AS n FROM attachments WHERE uploader_id = $2)
         INSERT INTO attachments (id, uploader_id, mime, size, sha256, name)
         SELECT $1, $2, $3, $4::bigint, $5, $6 FROM used WHERE $7::bigint = 0 OR used.n + $4::bigint <= $7::bigint
         RETURNING ${ATTACHMENT_COLUMNS}`,
        [a.id, a.uploaderId, a.mime, a.size, a.sha256, a.name, quotaBytes],
      );
      if (row) return { attachment: row, usedBytes: 0 };
      const [used] = await queryRows<{ n: number }>(
        tx,
        'SELECT COALESCE(sum(size), 0)::float8 AS n FROM attachments WHERE uploader_id = $1',
        [a.uploaderId],
      );
      return { attachment: null, usedBytes: used?.n ?? 0 };
    });
  }

  /** Deletes uploads older than `before` that no message references; returns their ids. */
  async deleteOrphans(before: Date, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      `DELETE FROM attachments WHERE id IN (
         SELECT a.id FROM attachments a
          WHERE a.created_at < $1
            AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id)
          LIMIT $2)
       RETURNING id`,
      [before, limit],
    );
    return rows.map((r) => r.id);
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
