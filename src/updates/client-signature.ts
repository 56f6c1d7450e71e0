import { createHash, createHmac, randomUUID } from 'node:crypto';

export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

export const sha256Hex = (body: string | Buffer = ''): string =>
  createHash('sha256').update(body).digest('hex');

/** The text a client signs: method, path (with query string), timestamp, nonce and the body's SHA-256. */
export function canonicalRequest(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  bodySha256: string,
): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodySha256}`;
}

export type SignedHeaders = {
  'X-Client-Key': string;
  'X-Timestamp': string;
  'X-Nonce': string;
  'X-Signature': string;
};

/**
 * How a client signs a request to Relay (copy this into your client):
 *
 *   const headers = signRequest({ keyId, secret, method: 'POST', path: '/api/v1/messages', body: JSON.stringify(payload) });
 *   fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
 *
 * Sign the exact bytes you send. Multipart uploads sign an empty body.
 */
export function signRequest(input: {
  keyId: string;
  secret: string;
  method: string;
  path: string;
  body?: string | Buffer;
  timestamp?: number;
  nonce?: string;
}): SignedHeaders {
  const timestamp = String(input.timestamp ?? Date.now());
  const nonce = input.nonce ?? randomUUID();
  const signature = createHmac('sha256', input.secret)
    .update(canonicalRequest(input.method, input.path, timestamp, nonce, sha256Hex(input.body ?? '')))
    .digest('hex');
  return {
    'X-Client-Key': input.keyId,
    'X-Timestamp': timestamp,
    'X-Nonce': nonce,
    'X-Signature': signature,
  };
}

/** The Socket.IO handshake signs `GET /socket.io` with an empty body: io(url, {auth: {token, signature}}). */
export function signHandshake(
  keyId: string,
  secret: string,
): { keyId: string; timestamp: string; nonce: string; signature: string } {
  const h = signRequest({ keyId, secret, method: 'GET', path: '/socket.io' });
  return { keyId, timestamp: h['X-Timestamp'], nonce: h['X-Nonce'], signature: h['X-Signature'] };
}
