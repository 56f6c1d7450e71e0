import { isIP } from 'node:net';

/**
 * Whether a Web Push endpoint may be called. The server only POSTs to push services the operator
 * listed in PUSH_ENDPOINT_HOSTS: a listed name matches itself and its subdomains over https on the
 * default port; a listed IP address or `localhost` (on-premise push services, tests) matches only
 * itself, on any port, over http or https. Anything else, notably an address a client chose
 * (loopback, link-local, private ranges, credentials in the URL), is refused with the reason.
 */
export function checkPushEndpoint(endpoint: string, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0 || host === 'localhost';
  if (literal) {
    return allowedHosts.includes(host) ? null : `host ${host} is not an allowed push service`;
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.port && url.port !== '443') return 'must use the default https port';
  const allowed = allowedHosts.some(
    (suffix) =>
      isIP(suffix) === 0 && suffix !== 'localhost' && (host === suffix || host.endsWith(`.${suffix}`)),
  );
  return allowed ? null : `host ${host} is not an allowed push service`;
}

/** A base64url string (no padding) that decodes to exactly `bytes` bytes, or null. */
export function base64urlBytes(value: string, bytes: number): Buffer | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) return null;
  const decoded = Buffer.from(value.replace(/=+$/, ''), 'base64url');
  return decoded.length === bytes ? decoded : null;
}
