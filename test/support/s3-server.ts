import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from './ports.js';

/**
 * An S3-compatible server of the test's own (s3rver, objects in a temporary directory), with one
 * bucket, and the environment that points Relay at it.
 */
export class LocalS3 {
  private constructor(
    private readonly server: S3rver,
    readonly directory: string,
    readonly env: Record<string, string>,
  ) {}

  static async start(bucket = 'relay-files'): Promise<LocalS3> {
    const directory = mkdtempSync(join(tmpdir(), 'relay-s3-'));
    const port = await freePort();
    const server = new S3rver({
      port,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    await server.run();
    return new LocalS3(server, directory, {
      STORAGE_DRIVER: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    });
  }

  /** The keys the bucket holds under `prefix`, asked through the S3 API. */
  async keys(prefix: string): Promise<string[]> {
    const client = new S3Client({
      region: this.env.S3_REGION,
      endpoint: this.env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: {
        accessKeyId: this.env.S3_ACCESS_KEY_ID!,
        secretAccessKey: this.env.S3_SECRET_ACCESS_KEY!,
      },
    });
    try {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: this.env.S3_BUCKET, Prefix: prefix }),
      );
      return (listed.Contents ?? []).map((o) => o.Key!);
    } finally {
      client.destroy();
    }
  }

  async close(): Promise<void> {
    const closed = this.server.close();
    this.server.httpServer.closeAllConnections();
    await closed;
    rmSync(this.directory, { recursive: true, force: true });
  }
}
