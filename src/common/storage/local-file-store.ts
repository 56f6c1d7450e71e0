import type { Response } from 'express';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { downloadHeaders, FileStore, type StoredFileInfo } from './file-store.js';

/** Files under a directory of this node (DATA_DIR): the single-node default. */
export class LocalFileStore extends FileStore {
  constructor(private readonly root: string) {
    super();
  }

  async put(key: string, fromPath: string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    await rename(fromPath, path);
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  send(res: Response, key: string, file: StoredFileInfo): Promise<void> {
    downloadHeaders(res, file);
    return new Promise<void>((resolve, reject) => {
      res.sendFile(
        this.path(key),
        { etag: false, lastModified: false, acceptRanges: true, dotfiles: 'deny' },
        (error) => {
          if (!error || res.headersSent) return resolve();
          const failure = error as Error & { status?: number; headers?: Record<string, string> };
          if (failure.status === 416) {
            // A range past the end: say how long the file is (send put it in the error's headers).
            for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
            res.removeHeader('Content-Disposition');
            res.status(416).end();
            return resolve();
          }
          reject(AppError.notFound('File'));
        },
      );
    });
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }
}
