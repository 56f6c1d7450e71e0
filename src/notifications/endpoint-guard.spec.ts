import { describe, expect, it } from '@jest/globals';
import { base64urlBytes, checkPushEndpoint } from './endpoint-guard.js';

const HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', '127.0.0.1', 'localhost'];

describe('checkPushEndpoint', () => {
  it.each([
    'https://fcm.googleapis.com/fcm/send/abc',
    'https://updates.push.services.mozilla.com/wpush/v2/abc',
    'https://fcm.googleapis.com:443/x',
    'http://127.0.0.1:8080/push/1',
    'https://127.0.0.1:9443/push/1',
    'http://localhost:3000/p',
  ])('accepts %s', (endpoint) => {
    expect(checkPushEndpoint(endpoint, HOSTS)).toBeNull();
  });

  it.each([
    ['not a url', 'must be an absolute URL'],
    ['ftp://fcm.googleapis.com/x', 'must be an https URL'],
    ['http://fcm.googleapis.com/x', 'must be an https URL'],
    ['https://fcm.googleapis.com:8443/x', 'must use the default https port'],
    ['https://evilfcm.googleapis.com.attacker.net/x', 'not an allowed push service'],
    ['https://attackerfcm.googleapis.com/x', 'not an allowed push service'],
    ['https://user:pw@fcm.googleapis.com/x', 'must not carry credentials'],
    ['http://10.0.0.1/x', 'not an allowed push service'],
    ['http://169.254.169.254/latest/meta-data', 'not an allowed push service'],
    ['http://[::1]:80/x', 'not an allowed push service'],
    ['http://127.0.0.2/x', 'not an allowed push service'],
    ['https://0x0a000001/x', 'host 10.0.0.1 is not an allowed push service'],
  ])('refuses %s', (endpoint, reason) => {
    expect(checkPushEndpoint(endpoint, HOSTS)).toContain(reason);
  });

  it('does not let a listed IP address stand for a suffix, nor a name for an address', () => {
    expect(checkPushEndpoint('https://x.127.0.0.1/x', HOSTS)).not.toBeNull();
    expect(checkPushEndpoint('https://127.0.0.1.nip.io/x', HOSTS)).not.toBeNull();
  });
});

describe('base64urlBytes', () => {
  it('decodes exact lengths only', () => {
    const key = Buffer.alloc(16, 7).toString('base64url');
    expect(base64urlBytes(key, 16)).toEqual(Buffer.alloc(16, 7));
    expect(base64urlBytes(key, 65)).toBeNull();
    expect(base64urlBytes('not base64!', 16)).toBeNull();
    expect(base64urlBytes(`${key}==`, 16)).toEqual(Buffer.alloc(16, 7));
  });
});
