import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { S3Settings } from '../storage/s3-file-store.js';
import { ConfigError, type Environment, NodeEnv, parseEnvironment } from './environment.js';

export interface RateLimits {
  messagesPerSec: number;
  messagesBurst: number;
  loginsPerMinPerUsername: number;
  loginsPerMinPerIp: number;
  registrationsPerMinPerIp: number;
  /** Client events but expensive reads, per user over all their sockets, per 10 s (0 disables). */
  socketEventsPer10s: number;
  /** Expensive read events (`sync`) per user over all their sockets, per 10 s (0 disables). */
  socketReadsPer10s: number;
  /** Unauthenticated device registrations per client IP per minute (0 disables). */
  devicesPerMinPerIp: number;
}

export interface Limits {
  messageLength: number;
  socketPacketBytes: number;
  /** Live sockets per user over all nodes (MAX_SOCKETS_PER_USER). */
  socketsPerUser: number;
  /** Bytes of attachments one user may keep (0: no limit). */
  attachmentQuotaBytes: number;
  /** Uploads no message references are deleted this long after upload. */
  attachmentOrphanTtlHours: number;
  attachments: number;
  /** Sends waiting to be stored on this node, at most; more are refused (SERVICE_UNAVAILABLE). */
  sendQueue: number;
  /** Refuse sends when the ones already waiting would take longer than this to store. */
  sendQueueMaxWaitMs: number;
  attachmentBytes: number;
  releaseBytes: number;
}

/**
 * Relay's configuration, read once at boot from the environment and injected typed.
 * Nothing else in the code base reads `process.env`.
 */
export class AppConfig {
  readonly env!: NodeEnv;
  readonly port!: number;
  /**
   * Processes serving the port (WORKERS): 1, N, or one per core (`auto`). More than one needs
   * PostgreSQL and Redis, which they share as separate nodes would; `auto` without them is 1.
   */
  readonly workers!: number;
  readonly host: string | undefined;
  readonly trustProxy!: boolean;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize!: number;
  /**
   * A transaction of Relay's left idle this long (its node frozen or stuck mid-transaction) is
   * ended by PostgreSQL, releasing the locks it holds (DATABASE_IDLE_TRANSACTION_TIMEOUT_MS).
   */
  readonly databaseIdleTransactionTimeoutMs!: number;
  readonly dataDir!: string;
  readonly redisUrl: string | undefined;
  readonly redisPrefix!: string;
  /**
   * With Redis, how long a node's sockets count as online after it last refreshed them: the bound
   * on how long a crashed or frozen node's users still look online (PRESENCE_TTL_MS).
   */
  readonly presenceTtlMs!: number;
  /** A shutdown (SIGTERM/SIGINT) ends the process within this long, drained or not (SHUTDOWN_TIMEOUT_MS). */
  readonly shutdownTimeoutMs!: number;
  readonly jwt!: {
    secret: string;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  /** null: only localhost origins are allowed. */
  readonly corsOrigins!: string[] | null;
  readonly admin: { username: string; password: string } | undefined;
  /** Where files live: under DATA_DIR (one node) or in an S3-compatible bucket (every node). */
  readonly storage!: { driver: 'local' | 's3'; s3: S3Settings | undefined };
  readonly dmPolicy!: 'friends' | 'anyone';
  readonly signatureRequired!: boolean;
  readonly auth!: {
    mode: 'local' | 'external' | 'both';
    jwksUrl: string | undefined;
    /** At most one JWKS refetch for an unknown key id per this many ms. */
    jwksCooldownMs: number;
    issuer: string | undefined;
    audience: string | undefined;
    introspectionUrl: string | undefined;
    introspectionClient: { id: string; secret: string } | undefined;
    serviceApiKeys: string[];
  };
  /** Where users reach the product (invite links); unset: links point at Relay itself. */
  readonly publicUrl: string | undefined;
  readonly notifications!: {
    /** The coalescing window: a user hears of a conversation at most once per this many ms. */
    delayMs: number;
    maxAttempts: number;
    /** Base of the exponential backoff between attempts of a delivery. */
    retryDelaySeconds: number;
    /** A claimed job not finished in this time (its process died) is tried again. */
    jobTimeoutSeconds: number;
    /** Host suffixes Web Push endpoints may point at (IP addresses and localhost: exact, http allowed). */
    endpointHosts: string[];
    webhookUrl: string | undefined;
    webhookSecret: string | undefined;
    vapid: { publicKey: string; privateKey: string; subject: string } | undefined;
    apns:
      | {
          keyId: string;
          teamId: string;
          privateKey: string;
          topic: string;
          production: boolean;
          /** An APNs gateway other than Apple's (host and port). */
          address: { host: string; port: number } | undefined;
          /** PEM certificates to trust for that gateway. */
          ca: string | undefined;
        }
      | undefined;
    fcm:
      | { projectId: string; clientEmail: string; privateKey: string; endpoint: string; tokenUrl: string }
      | undefined;
  };
  readonly logLevel!: string;
  readonly rateLimits!: RateLimits;
  readonly limits!: Limits;

  /** Reads and validates the given environment (defaults to the process environment). */
  static load(raw: Record<string, string | undefined> = process.env): AppConfig {
    const e = parseEnvironment(raw);
    const problems = crossCheck(e);
    if (problems.length > 0) throw new ConfigError(problems);
    const dataDir = resolve(e.DATA_DIR);
    const config: AppConfig = Object.assign(Object.create(AppConfig.prototype) as AppConfig, {
      env: e.NODE_ENV,
      port: e.PORT,
      workers: workerCount(e),
      host: e.HOST,
      trustProxy: e.TRUST_PROXY,
      databaseUrl: e.DATABASE_URL,
      databasePoolSize: e.DATABASE_URL ? e.DATABASE_POOL_SIZE : 1,
      databaseIdleTransactionTimeoutMs: e.DATABASE_IDLE_TRANSACTION_TIMEOUT_MS,
      dataDir,
      redisUrl: e.REDIS_URL,
      redisPrefix: e.REDIS_PREFIX,
      presenceTtlMs: e.PRESENCE_TTL_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      jwt: {
        secret: e.JWT_SECRET ?? persistedSecret(dataDir),
        issuer: e.JWT_ISSUER,
        audience: e.JWT_AUDIENCE,
        accessTtlSeconds: e.JWT_ACCESS_TTL_SECONDS,
        refreshTtlSeconds: e.JWT_REFRESH_TTL_SECONDS,
      },
      corsOrigins: e.CORS_ORIGINS ? splitList(e.CORS_ORIGINS) : null,
      admin:
        e.ADMIN_USERNAME && e.ADMIN_PASSWORD
          ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD }
          : undefined,
      storage: {
        driver: e.STORAGE_DRIVER,
        s3:
          e.STORAGE_DRIVER === 's3'
            ? {
                bucket: e.S3_BUCKET!,
                endpoint: e.S3_ENDPOINT,
                region: e.S3_REGION,
                accessKeyId: e.S3_ACCESS_KEY_ID,
                secretAccessKey: e.S3_SECRET_ACCESS_KEY,
                forcePathStyle: e.S3_FORCE_PATH_STYLE,
              }
            : undefined,
      },
      dmPolicy: e.DM_POLICY,
      signatureRequired: e.SIGNATURE_REQUIRED,
      auth: {
        mode: e.AUTH_MODE,
        jwksUrl: e.AUTH_JWKS_URL,
        jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
        issuer: e.AUTH_ISSUER,
        audience: e.AUTH_AUDIENCE,
        introspectionUrl: e.AUTH_INTROSPECTION_URL,
        introspectionClient:
          e.AUTH_INTROSPECTION_CLIENT_ID && e.AUTH_INTROSPECTION_CLIENT_SECRET
            ? { id: e.AUTH_INTROSPECTION_CLIENT_ID, secret: e.AUTH_INTROSPECTION_CLIENT_SECRET }
            : undefined,
        serviceApiKeys: e.SERVICE_API_KEYS ? splitList(e.SERVICE_API_KEYS) : [],
      },
      publicUrl: e.PUBLIC_URL,
      notifications: {
        delayMs: e.NOTIFY_DELAY_MS,
        maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
        retryDelaySeconds: e.NOTIFY_RETRY_DELAY_SECONDS,
        jobTimeoutSeconds: e.NOTIFY_JOB_TIMEOUT_SECONDS,
        endpointHosts: e.PUSH_ENDPOINT_HOSTS
          ? splitList(e.PUSH_ENDPOINT_HOSTS).map((h) => h.toLowerCase())
          : DEFAULT_PUSH_ENDPOINT_HOSTS,
        webhookUrl: e.NOTIFICATION_WEBHOOK_URL,
        webhookSecret: e.NOTIFICATION_WEBHOOK_SECRET,
        vapid:
          e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY && e.VAPID_SUBJECT
            ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY, subject: e.VAPID_SUBJECT }
            : undefined,
        apns:
          e.APNS_KEY_ID && e.APNS_TEAM_ID && e.APNS_PRIVATE_KEY && e.APNS_TOPIC
            ? {
                keyId: e.APNS_KEY_ID,
                teamId: e.APNS_TEAM_ID,
                privateKey: pem(e.APNS_PRIVATE_KEY),
                topic: e.APNS_TOPIC,
                production: e.APNS_PRODUCTION,
                address: e.APNS_HOST ? hostAndPort(e.APNS_HOST) : undefined,
                ca: e.APNS_CA ? pem(e.APNS_CA) : undefined,
              }
            : undefined,
        fcm:
          e.FCM_PROJECT_ID && e.FCM_CLIENT_EMAIL && e.FCM_PRIVATE_KEY
            ? {
                projectId: e.FCM_PROJECT_ID,
                clientEmail: e.FCM_CLIENT_EMAIL,
                privateKey: pem(e.FCM_PRIVATE_KEY),
                endpoint: e.FCM_ENDPOINT ?? 'https://fcm.googleapis.com',
                tokenUrl: e.FCM_TOKEN_URL ?? 'https://oauth2.googleapis.com/token',
              }
            : undefined,
      },
      logLevel: e.LOG_LEVEL,
      rateLimits: {
        messagesPerSec: e.RATE_LIMIT_MESSAGES_PER_SEC,
        messagesBurst: e.RATE_LIMIT_MESSAGES_BURST,
        loginsPerMinPerUsername: e.RATE_LIMIT_LOGINS_PER_MIN,
        loginsPerMinPerIp: e.RATE_LIMIT_LOGINS_PER_IP_PER_MIN,
        registrationsPerMinPerIp: e.RATE_LIMIT_REGISTRATIONS_PER_MIN,
        socketEventsPer10s: e.RATE_LIMIT_SOCKET_EVENTS_PER_10S,
        socketReadsPer10s: e.RATE_LIMIT_SOCKET_READS_PER_10S,
        devicesPerMinPerIp: e.RATE_LIMIT_DEVICES_PER_IP_PER_MIN,
      },
      limits: {
        messageLength: e.MAX_MESSAGE_LENGTH,
        socketPacketBytes: e.MAX_SOCKET_PACKET_BYTES,
        socketsPerUser: e.MAX_SOCKETS_PER_USER,
        attachmentQuotaBytes: e.ATTACHMENT_QUOTA_BYTES,
        attachmentOrphanTtlHours: e.ATTACHMENT_ORPHAN_TTL_HOURS,
        attachments: e.MAX_ATTACHMENTS,
        sendQueue: e.SEND_QUEUE_LIMIT,
        sendQueueMaxWaitMs: e.SEND_QUEUE_MAX_WAIT_MS,
        attachmentBytes: e.MAX_ATTACHMENT_BYTES,
        releaseBytes: e.MAX_RELEASE_BYTES,
      },
    });
    return Object.freeze(config);
  }

  get isProduction(): boolean {
    return this.env === NodeEnv.production;
  }
}

/** The push services of the major browsers (Chrome, Firefox, Edge, Safari). */
const DEFAULT_PUSH_ENDPOINT_HOSTS = [
  'fcm.googleapis.com',
  'android.googleapis.com',
  'push.services.mozilla.com',
  'notify.windows.com',
  'push.apple.com',
];

/** PEM text from an environment variable, where newlines are often written as `\n`. */
const pem = (value: string): string => value.replace(/\\n/g, '\n');

function hostAndPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 443 };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function workerCount(e: Environment): number {
  if (e.WORKERS !== 'auto') return Number(e.WORKERS);
  return e.DATABASE_URL && e.REDIS_URL ? availableParallelism() : 1;
}

/** Rules that involve more than one variable. */
function crossCheck(e: Environment): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV === NodeEnv.production && !e.JWT_SECRET) {
    problems.push('JWT_SECRET: required when NODE_ENV=production');
  }
  if (e.WORKERS !== 'auto' && Number(e.WORKERS) > 1 && !(e.DATABASE_URL && e.REDIS_URL)) {
    problems.push(
      'WORKERS: more than one process needs DATABASE_URL and REDIS_URL (workers share them as nodes do; embedded PGlite serves one process)',
    );
  }
  if (e.STORAGE_DRIVER === 's3' && !e.S3_BUCKET) problems.push('S3_BUCKET: required when STORAGE_DRIVER=s3');
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (Boolean(e.ADMIN_USERNAME) !== Boolean(e.ADMIN_PASSWORD)) {
    problems.push('ADMIN_USERNAME/ADMIN_PASSWORD: set both or neither');
  }
  if (e.AUTH_MODE !== 'local' && !e.AUTH_JWKS_URL && !e.AUTH_INTROSPECTION_URL) {
    problems.push(`AUTH_MODE: '${e.AUTH_MODE}' needs AUTH_JWKS_URL or AUTH_INTROSPECTION_URL`);
  }
  if (Boolean(e.AUTH_INTROSPECTION_CLIENT_ID) !== Boolean(e.AUTH_INTROSPECTION_CLIENT_SECRET)) {
    problems.push('AUTH_INTROSPECTION_CLIENT_ID/AUTH_INTROSPECTION_CLIENT_SECRET: set both or neither');
  }
  for (const key of (e.SERVICE_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)) {
    if (key.length < 16) problems.push('SERVICE_API_KEYS: every key must be at least 16 characters');
  }
  if (e.AUTH_JWKS_URL && (!e.AUTH_ISSUER || !e.AUTH_AUDIENCE)) {
    problems.push('AUTH_JWKS_URL: needs AUTH_ISSUER and AUTH_AUDIENCE');
  }
  const vapid = [e.VAPID_PUBLIC_KEY, e.VAPID_PRIVATE_KEY, e.VAPID_SUBJECT].filter(Boolean).length;
  if (vapid !== 0 && vapid !== 3) {
    problems.push('VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY/VAPID_SUBJECT: set all three or none');
  }
  const apns = [e.APNS_KEY_ID, e.APNS_TEAM_ID, e.APNS_PRIVATE_KEY, e.APNS_TOPIC].filter(Boolean).length;
  if (apns !== 0 && apns !== 4) {
    problems.push('APNS_KEY_ID/APNS_TEAM_ID/APNS_PRIVATE_KEY/APNS_TOPIC: set all four or none');
  }
  const fcm = [e.FCM_PROJECT_ID, e.FCM_CLIENT_EMAIL, e.FCM_PRIVATE_KEY].filter(Boolean).length;
  if (fcm !== 0 && fcm !== 3) {
    problems.push('FCM_PROJECT_ID/FCM_CLIENT_EMAIL/FCM_PRIVATE_KEY: set all three or none');
  }
  if (e.VAPID_SUBJECT && !/^(mailto:|https:\/\/)\S+$/.test(e.VAPID_SUBJECT)) {
    problems.push('VAPID_SUBJECT: must be a mailto: or https: URL');
  }
  if (e.NOTIFICATION_WEBHOOK_URL && !e.NOTIFICATION_WEBHOOK_SECRET) {
    problems.push('NOTIFICATION_WEBHOOK_SECRET: required with NOTIFICATION_WEBHOOK_URL');
  }
  if (e.CORS_ORIGINS) {
    for (const origin of splitList(e.CORS_ORIGINS)) {
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        problems.push(`CORS_ORIGINS: '${origin}' is not an origin like https://app.example.com`);
      }
    }
  }
  return problems;
}

/** In development the JWT secret is generated once and kept under DATA_DIR so tokens survive restarts. */
function persistedSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
