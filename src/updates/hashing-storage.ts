import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HashedFile {
  /** Where the file was written (a generated name, never the client's). */
  path: string;
  size: number;
  sha256: string;
}

/**
 * A multer storage engine that streams each upload to a generated file name while computing its
 * SHA-256 and size in the same pass: nothing is buffered whole, and an aborted or oversized upload
 * leaves no file behind (multer calls _removeFile).
 */
export class HashingDiskStorage implements StorageEngine {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    cb: (error?: unknown, info?: Partial<Express.Multer.File> & HashedFile) => void,
  ): void {
    const path = join(this.dir, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    pipeline(file.stream, tap, createWriteStream(path, { flags: 'wx' })).then(
      () => cb(null, { path, size, sha256: hash.digest('hex') }),
      (error: unknown) => {
        void rm(path, { force: true }).finally(() => cb(error));
      },
    );
  }

  _removeFile(
    _req: Request,
    file: Express.Multer.File & Partial<HashedFile>,
    cb: (error: Error | null) => void,
  ): void {
    if (!file.path) return cb(null);
    rm(file.path, { force: true }).then(
      () => cb(null),
      (error: Error) => cb(error),
    );
  }
}
