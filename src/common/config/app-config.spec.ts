import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from './app-config.js';
import { ConfigError } from './environment.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    AppConfig.load({ JWT_SECRET: 'x'.repeat(32), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('AppConfig', () => {
  it('has working defaults', () => {
    const config = AppConfig.load({ JWT_SECRET: 'x'.repeat(32) });
    expect(config.port).toBe(3000);
    expect(config.dmPolicy).toBe('friends');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.databasePoolSize).toBe(1);
    expect(config.corsOrigins).toBeNull();
    expect(config.rateLimits).toEqual({
      messagesPerSec: 30,
      messagesBurst: 300,
      loginsPerMinPerUsername: 10,
      loginsPerMinPerIp: 60,
      registrationsPerMinPerIp: 60,
      socketEventsPer10s: 500,
      socketReadsPer10s: 50,
      devicesPerMinPerIp: 60,
    });
    expect(config.limits.messageLength).toBe(4000);
    expect(config.limits.socketPacketBytes).toBe(65536);
  });

  it('converts types', () => {
    const config = AppConfig.load({
      JWT_SECRET: 'x'.repeat(32),
      PORT: '8080',
      SIGNATURE_REQUIRED: 'true',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      DATABASE_URL: 'postgres://u@h/db',
    });
    expect(config.port).toBe(8080);
    expect(config.signatureRequired).toBe(true);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.databasePoolSize).toBe(10);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DM_POLICY: 'everyone' }, 'DM_POLICY'],
    [{ SIGNATURE_REQUIRED: 'maybe' }, 'SIGNATURE_REQUIRED'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RATE_LIMIT_MESSAGES_PER_SEC: '-1' }, 'RATE_LIMIT_MESSAGES_PER_SEC'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ ADMIN_USERNAME: 'root' }, 'ADMIN_USERNAME/ADMIN_PASSWORD'],
    [{ AUTH_MODE: 'external' }, 'AUTH_MODE'],
    [{ CORS_ORIGINS: 'not an origin' }, 'CORS_ORIGINS'],
    [{ VAPID_PUBLIC_KEY: 'abc' }, 'VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY/VAPID_SUBJECT'],
    [{ VAPID_PUBLIC_KEY: 'a', VAPID_PRIVATE_KEY: 'b', VAPID_SUBJECT: 'relay' }, 'VAPID_SUBJECT'],
    [{ APNS_KEY_ID: 'K' }, 'APNS_KEY_ID/APNS_TEAM_ID/APNS_PRIVATE_KEY/APNS_TOPIC'],
    [{ APNS_HOST: 'http://apns.example' }, 'APNS_HOST'],
    [{ FCM_PROJECT_ID: 'p' }, 'FCM_PROJECT_ID/FCM_CLIENT_EMAIL/FCM_PRIVATE_KEY'],
    [{ FCM_ENDPOINT: 'ftp://fcm' }, 'FCM_ENDPOINT'],
    [{ NOTIFY_MAX_ATTEMPTS: '0' }, 'NOTIFY_MAX_ATTEMPTS'],
    [{ NOTIFY_JOB_TIMEOUT_SECONDS: '1' }, 'NOTIFY_JOB_TIMEOUT_SECONDS'],
    [{ NOTIFICATION_WEBHOOK_URL: 'http://hook.example/x' }, 'NOTIFICATION_WEBHOOK_SECRET'],
  ])('refuses %j naming %s', (env, name) => {
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
  });

  it('reads notification settings: push hosts, PEM keys with escaped newlines, a private APNs gateway', () => {
    const config = AppConfig.load({
      JWT_SECRET: 'x'.repeat(32),
      PUSH_ENDPOINT_HOSTS: 'Push.Example.com, 10.1.2.3',
      APNS_KEY_ID: 'K',
      APNS_TEAM_ID: 'T',
      APNS_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----',
      APNS_TOPIC: 'com.example.app',
      APNS_HOST: 'https://apns.internal:8443',
    });
    expect(config.notifications.delayMs).toBe(3000);
    expect(config.notifications.maxAttempts).toBe(8);
    expect(config.notifications.endpointHosts).toEqual(['push.example.com', '10.1.2.3']);
    expect(config.notifications.apns).toMatchObject({
      privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      production: false,
      address: { host: 'apns.internal', port: 8443 },
    });
    expect(AppConfig.load({ JWT_SECRET: 'x'.repeat(32) }).notifications.endpointHosts).toContain(
      'fcm.googleapis.com',
    );
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => AppConfig.load({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: required when NODE_ENV=production/,
    );
  });

  it('generates a JWT secret once under DATA_DIR in development and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cfg-'));
    try {
      const a = AppConfig.load({ DATA_DIR: dir });
      const b = AppConfig.load({ DATA_DIR: dir });
      expect(a.jwt.secret).toHaveLength(64);
      expect(b.jwt.secret).toBe(a.jwt.secret);
      expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(a.jwt.secret);
      expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
