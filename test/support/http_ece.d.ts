/** The part of `http_ece` (Encrypted Content-Encoding, RFC 8188) the tests use to read Web Push payloads. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  export interface DecryptParams {
    version: 'aes128gcm' | 'aesgcm';
    /** The receiver's key pair (the browser's). */
    privateKey: ECDH;
    authSecret: Buffer | string;
  }

  export function decrypt(buffer: Buffer, params: DecryptParams): Buffer;

  const ece: { decrypt: typeof decrypt };
  export default ece;
}
