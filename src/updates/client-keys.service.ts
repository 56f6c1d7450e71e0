import { Injectable } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { decodeCursor, encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { OnceStore } from '../common/redis/once-store.js';
import type { ClientKey } from './client-key.entity.js';
import { ClientKeysRepository } from './client-keys.repository.js';
import { canonicalRequest, SIGNATURE_WINDOW_MS } from './client-signature.js';

export interface SignatureInput {
  keyId: unknown;
  timestamp: unknown;
  nonce: unknown;
  signature: unknown;
  method: string;
  path: string;
  bodySha256: string;
}

const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

@Injectable()
export class ClientKeysService {
  private readonly sealKey: Buffer;

  constructor(
    private readonly keys: ClientKeysRepository,
    private readonly once: OnceStore,
    config: AppConfig,
  ) {
    this.sealKey = Buffer.from(hkdfSync('sha256', config.jwt.secret, 'relay', 'client-keys', 32));
  }

  async create(name: string): Promise<{ key: ClientKey; secret: string }> {
    const secret = `cs_${randomBytes(32).toString('base64url')}`;
    const key = await this.keys.insert({
      keyId: `ck_${randomBytes(10).toString('hex')}`,
      name: name.trim(),
      secretSealed: this.seal(secret),
    });
    return { key, secret };
  }

  async list(limit: number, cursor?: string): Promise<Page<ClientKey>> {
    const afterKeyId = cursor ? decodeCursor(cursor, ['text'] as const)[0] : undefined;
    const rows = await this.keys.list(limit + 1, afterKeyId);
    return toPage(
      rows,
      limit,
      (k) => k,
      (k) => encodeCursor([k.keyId]),
    );
  }

  async revoke(keyId: string): Promise<void> {
    if (!(await this.keys.revoke(keyId))) throw AppError.notFound('Client key');
  }

  /**
   * Checks a signed request: well-formed headers, a timestamp within ±5 minutes, a live key, a
   * matching HMAC (compared in constant time), then a nonce never seen before. Any failure is
   * UNAUTHORIZED with the reason in the message.
   */
  async verify(input: SignatureInput): Promise<string> {
    const { keyId, timestamp, nonce, signature } = input;
    if (
      typeof keyId !== 'string' ||
      typeof timestamp !== 'string' ||
      typeof nonce !== 'string' ||
      typeof signature !== 'string'
    ) {
      throw invalid('Missing signature headers (X-Client-Key, X-Timestamp, X-Nonce, X-Signature)');
    }
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > SIGNATURE_WINDOW_MS) {
      throw invalid('Signature timestamp outside the ±5 minute window');
    }
    if (!NONCE_PATTERN.test(nonce)) throw invalid('Malformed nonce');
    if (!/^[0-9a-f]{64}$/i.test(signature) || keyId.length > 40) throw invalid('Malformed signature');
    const key = await this.keys.findByKeyId(keyId);
    if (!key || key.revokedAt) throw invalid('Unknown or revoked client key');
    const expected = createHmac('sha256', this.unseal(key.secretSealed))
      .update(canonicalRequest(input.method, input.path, timestamp, nonce, input.bodySha256))
      .digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw invalid('Signature does not match');
    if (
      !(await this.once.claim('sig-nonce', `${keyId}:${nonce}`, Math.ceil((2 * SIGNATURE_WINDOW_MS) / 1000)))
    ) {
      throw invalid('Nonce already used');
    }
    return keyId;
  }

  private seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private unseal(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

const invalid = (reason: string): AppError =>
  new AppError('UNAUTHORIZED', `Invalid client signature: ${reason}`);
