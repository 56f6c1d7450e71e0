import type { Response } from 'express';
import { AppError } from '../errors/app-error.js';

/**
 * Sends a stored file as a download: `ETag` (a content hash), `If-None-Match` → 304, `Range` →
 * 206 (an unsatisfiable one → 416 with `Content-Range: bytes *\/<size>`), and the file name in
 * `Content-Disposition` per RFC 6266 (an ASCII fallback and `filename*` in UTF-8). A file missing
 * on disk is NOT_FOUND.
 */
export function sendStoredFile(
  res: Response,
  path: string,
  file: { etag: string; type: string; name: string },
): Promise<void> {
  res.attachment(file.name);
  res.setHeader('Content-Type', file.type);
  res.setHeader('ETag', `"${file.etag}"`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  return new Promise<void>((resolve, reject) => {
    res.sendFile(
      path,
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
