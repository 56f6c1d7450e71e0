import type { Response } from 'express';

/** What a download needs to know of a stored file (from the database, not from the store). */
export interface StoredFileInfo {
  /** The content hash, sent as the ETag. */
  etag: string;
  type: string;
  /** The name the client sees (RFC 6266). */
  name: string;
  size: number;
}

/**
 * Where files (attachments, release files) live: STORAGE_DRIVER `local` (under DATA_DIR, one
 * node) or `s3` (an S3-compatible bucket every node reads). Keys are Relay's own
 * (`attachments/<id>`, `releases/<id>`), never a client's. Both stream: no file is held whole in
 * memory.
 */
export abstract class FileStore {
  /** Moves a finished upload (a local temporary file) into the store under `key`. */
  abstract put(key: string, fromPath: string): Promise<void>;

  /** Deletes what is stored under `key` (nothing when there is none). */
  abstract remove(key: string): Promise<void>;

  /**
   * Sends the file as a download: `ETag`, `If-None-Match` → 304, one `Range` → 206 (an
   * unsatisfiable one → 416 with `Content-Range: bytes *\/<size>`), RFC 6266 file name. A file
   * the store does not hold is NOT_FOUND.
   */
  abstract send(res: Response, key: string, file: StoredFileInfo): Promise<void>;
}

/** The headers every download carries, whichever store serves it. */
export function downloadHeaders(res: Response, file: StoredFileInfo): void {
  res.attachment(file.name);
  res.setHeader('Content-Type', file.type);
  res.setHeader('ETag', `"${file.etag}"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Accept-Ranges', 'bytes');
}
