import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/app-error.js';
import { downloadHeaders, FileStore, type StoredFileInfo } from './file-store.js';

export interface S3Settings {
  bucket: string;
  endpoint: string | undefined;
  region: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

/** Parts of a multipart upload: 8 MiB, four in flight (at most 32 MiB of a file in memory). */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * Files in an S3-compatible bucket, which every node reads: uploads stream from the temporary file
 * as a multipart upload, downloads stream from the object (one Range passed through).
 */
export class S3FileStore extends FileStore {
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    super();
    const config: S3ClientConfig = {
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
    };
    if (settings.accessKeyId && settings.secretAccessKey)
      config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
    this.client = new S3Client(config);
  }

  async put(key: string, fromPath: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: key, Body: createReadStream(fromPath) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    });
    await upload.done();
    await rm(fromPath, { force: true });
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }

  async send(res: Response, key: string, file: StoredFileInfo): Promise<void> {
    downloadHeaders(res, file);
    const req = res.req;
    // Express's own checks (the `fresh` and `range-parser` packages), against the ETag set above.
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    let range: { start: number; end: number } | null = null;
    if (req.headers.range && !req.headers['if-range']) {
      const parsed = req.range(file.size, { combine: true });
      if (parsed === -1) {
        res.removeHeader('Content-Disposition');
        res.setHeader('Content-Range', `bytes */${file.size}`);
        res.status(416).end();
        return;
      }
      // A malformed header is ignored (the whole file); several ranges are served whole too.
      if (parsed !== undefined && parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1)
        range = parsed[0]!;
    }
    let body: Readable;
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      body = object.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey) throw AppError.notFound('File');
      throw error;
    }
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${file.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(file.size));
    }
    if (req.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    await pipeline(body, res).catch(() => undefined); // A client that goes away mid-download.
  }
}
