import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { Optional } from '../validation/optional.js';

type Raw = { value: unknown };

const toInt = ({ value }: Raw): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: Raw): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const emptyToUndefined = ({ value }: Raw): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export enum NodeEnv {
  development = 'development',
  production = 'production',
  test = 'test',
}

/**
 * Every environment variable Relay reads, with its type and bounds.
 * Raw strings from the environment are converted, then validated; a bad value stops start-up.
 */
export class Environment {
  @IsOptional() @IsEnum(NodeEnv) NODE_ENV: NodeEnv = NodeEnv.development;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @Transform(emptyToUndefined) @IsOptional() @IsString() HOST?: string;
  @Transform(toBool) @IsBoolean() TRUST_PROXY = false;

  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE = 10;
  @Transform(toInt) @IsInt() @Min(1000) @Max(600_000) DATABASE_IDLE_TRANSACTION_TIMEOUT_MS = 10_000;
  @IsString() @MinLength(1) DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
  @IsString() @MaxLength(64) REDIS_PREFIX = 'relay:';

  @Transform(emptyToUndefined)
  @Optional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;
  @IsString() @MinLength(1) JWT_ISSUER = 'relay';
  @IsString() @MinLength(1) JWT_AUDIENCE = 'relay-clients';
  @Transform(toInt) @IsInt() @Min(5) @Max(86400) JWT_ACCESS_TTL_SECONDS = 900;
  @Transform(toInt) @IsInt() @Min(60) @Max(31536000) JWT_REFRESH_TTL_SECONDS = 2592000;

  @Transform(emptyToUndefined) @IsOptional() @IsString() CORS_ORIGINS?: string;

  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, { message: 'ADMIN_USERNAME must be 3-32 of A-Z a-z 0-9 _ . -' })
  ADMIN_USERNAME?: string;
  @Transform(emptyToUndefined)
  @Optional()
  @IsString()
  @MinLength(8)
  @MaxLength(128)
  ADMIN_PASSWORD?: string;

  @Matches(/^(auto|[1-9][0-9]{0,2})$/, { message: 'WORKERS must be auto or a number from 1 to 999' })
  WORKERS = '1';
  @IsIn(['local', 's3']) STORAGE_DRIVER: 'local' | 's3' = 'local';
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
  S3_BUCKET?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;
  @IsString() S3_REGION = 'us-east-1';
  @Transform(emptyToUndefined) @IsOptional() @IsString() S3_ACCESS_KEY_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() S3_SECRET_ACCESS_KEY?: string;
  @Transform(toBool) @IsBoolean() S3_FORCE_PATH_STYLE = false;

  @IsIn(['friends', 'anyone']) DM_POLICY: 'friends' | 'anyone' = 'friends';
  @Transform(toBool) @IsBoolean() SIGNATURE_REQUIRED = false;

  @IsIn(['local', 'external', 'both']) AUTH_MODE: 'local' | 'external' | 'both' = 'local';
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false }) AUTH_JWKS_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() AUTH_ISSUER?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() AUTH_AUDIENCE?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false }) AUTH_INTROSPECTION_URL?: string;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600000) AUTH_JWKS_COOLDOWN_MS = 30000;
  @Transform(emptyToUndefined) @IsOptional() @IsString() AUTH_INTROSPECTION_CLIENT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() AUTH_INTROSPECTION_CLIENT_SECRET?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() SERVICE_API_KEYS?: string;
  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^https?:\/\/[^\s]+[^/\s]$/, {
    message: 'PUBLIC_URL must be an http(s) URL without a trailing slash',
  })
  PUBLIC_URL?: string;

  @Transform(toInt) @IsInt() @Min(0) @Max(86400000) NOTIFY_DELAY_MS = 3000;
  @Transform(toInt) @IsInt() @Min(1) @Max(50) NOTIFY_MAX_ATTEMPTS = 8;
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) NOTIFY_RETRY_DELAY_SECONDS = 5;
  @Transform(toInt) @IsInt() @Min(2) @Max(3600) NOTIFY_JOB_TIMEOUT_SECONDS = 60;
  @Transform(emptyToUndefined) @IsOptional() @IsString() PUSH_ENDPOINT_HOSTS?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false }) NOTIFICATION_WEBHOOK_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(16) NOTIFICATION_WEBHOOK_SECRET?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() VAPID_PUBLIC_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() VAPID_PRIVATE_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() VAPID_SUBJECT?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() APNS_KEY_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() APNS_TEAM_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() APNS_PRIVATE_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() APNS_TOPIC?: string;
  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^https:\/\/[^/\s:]+(:\d{1,5})?\/?$/, { message: 'APNS_HOST must be https://host[:port]' })
  APNS_HOST?: string;
  @Transform(toBool) @IsBoolean() APNS_PRODUCTION = false;
  @Transform(emptyToUndefined) @IsOptional() @IsString() APNS_CA?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() FCM_PROJECT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() FCM_CLIENT_EMAIL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() FCM_PRIVATE_KEY?: string;
  @Transform(emptyToUndefined)
  @Optional()
  @Matches(/^https?:\/\/[^\s]+[^/\s]$/, {
    message: 'FCM_ENDPOINT must be an http(s) URL without a trailing slash',
  })
  FCM_ENDPOINT?: string;
  @Transform(emptyToUndefined)
  @Optional()
  @IsUrl({ require_tld: false, require_protocol: true })
  FCM_TOKEN_URL?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';

  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_MESSAGES_PER_SEC = 30;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_MESSAGES_BURST = 300;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_LOGINS_PER_MIN = 10;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_LOGINS_PER_IP_PER_MIN = 60;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_REGISTRATIONS_PER_MIN = 60;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_SOCKET_EVENTS_PER_10S = 500;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_SOCKET_READS_PER_10S = 50;
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000) MAX_SOCKETS_PER_USER = 10;
  @Transform(toInt) @IsInt() @Min(3_000) @Max(3_600_000) PRESENCE_TTL_MS = 60_000;
  @Transform(toInt) @IsInt() @Min(1_000) @Max(600_000) SHUTDOWN_TIMEOUT_MS = 10_000;
  @Transform(toInt) @IsInt() @Min(0) RATE_LIMIT_DEVICES_PER_IP_PER_MIN = 60;
  @Transform(toInt) @IsInt() @Min(0) ATTACHMENT_QUOTA_BYTES = 1024 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(0) @Max(24 * 365) ATTACHMENT_ORPHAN_TTL_HOURS = 24;

  @Transform(toInt) @IsInt() @Min(1) @Max(100000) MAX_MESSAGE_LENGTH = 4000;
  @Transform(toInt) @IsInt() @Min(1024) MAX_SOCKET_PACKET_BYTES = 65536;
  @Transform(toInt) @IsInt() @Min(0) @Max(100) MAX_ATTACHMENTS = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) SEND_QUEUE_LIMIT = 5000;
  @Transform(toInt) @IsInt() @Min(1) @Max(60_000) SEND_QUEUE_MAX_WAIT_MS = 250;
  @Transform(toInt) @IsInt() @Min(1) MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(1) MAX_RELEASE_BYTES = 512 * 1024 * 1024;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Converts and validates raw environment variables; variables Relay does not declare are ignored. */
export function parseEnvironment(raw: Record<string, string | undefined>): Environment {
  const defined = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const env = plainToInstance(Environment, defined);
  const errors = validateSync(env, { whitelist: true });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  return env;
}
