import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const splitList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** An http(s) origin exactly as a browser sends it in `Origin` (no path, no trailing slash). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** The only place that reads process.env. Every value is validated; a bad one stops start-up. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** The ceiling of a school's own rateLimitPerMinute (a tenant can never lift it). */
  RATE_LIMIT_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** Per client address and minute: failed authentications, login attempts, certificate look-ups. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
  VERIFY_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(24 * 7),
  /** A session unused for this long ends, whatever its SESSION_TTL_HOURS. */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 365)
    .default(120),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** MinIO-style servers address buckets in the path, not the host name. */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
  /** Largest single upload, and each school's total storage (a school may be given its own). */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 ** 3),
  MEDIA_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(20 * 1024 ** 3),
  /**
   * Behind a reverse proxy: the number of proxy hops, or a comma-separated list of proxy addresses
   * or CIDRs. Never `true`: trusting every hop lets a client name its own address.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine((v) => v !== 'true', 'must be a hop count or proxy addresses, not true (a client could forge its address)')
    .refine(
      (v) => v === 'false' || /^\d+$/.test(v) || v.split(',').every((a) => isIP(a.trim().split('/')[0] ?? '') !== 0),
      'must be false, a hop count or comma-separated addresses/CIDRs',
    ),
  /** Origins (scheme://host[:port], comma-separated) whose pages may call the learner /me routes; none by default. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .refine(
      (v) => splitList(v).every(isOrigin),
      'must be comma-separated origins such as https://app.example.com (scheme, host and port only)',
    ),
  /** Hosts, addresses or CIDRs that server-side fetches may reach although they are not public (tests: loopback). */
  OUTBOUND_ALLOW_HOSTS: z.string().default(''),
  /** Background jobs this process runs at once (webhook deliveries, clean-ups); 0 = none (API-only instance). */
  WORKERS: z.coerce.number().int().min(0).max(100).default(4),
  /**
   * Encrypts secrets kept in the database (webhook signing secrets). Unset: a key generated once and
   * stored in the database itself, so a dump of the database alone would reveal them; set it in production.
   */
  ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  /** CLI only: the key `syllabus mcp` acts with, and the server `syllabus import/export --url` talk to. */
  SYLLABUS_API_KEY: z.string().min(1).optional(),
  SYLLABUS_URL: z.url({ protocol: /^https?$/ }).optional(),
  OWNER_EMAIL: z.email().default('owner@example.com'),
  SCHOOL_NAME: z.string().min(1).max(255).default('My School'),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: Syllabus runs its own embedded PostgreSQL under dataDir/pg. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  publicUrl: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  rateLimitPerMinute: number;
  /** Ceilings a school's own limits can never exceed (environment only). */
  ceilings: { rateLimitPerMinute: number; maxUploadBytes: number; mediaQuotaBytes: number };
  /** Per-address brute-force budgets (lib/throttle). */
  throttle: { failedAuthPerMinute: number; loginPerMinute: number; verifyPerMinute: number };
  bodyLimitBytes: number;
  sessionTtlHours: number;
  sessionIdleMinutes: number;
  dbPoolSize: number;
  /** S3-compatible media storage; unset: files under DATA_DIR/media. */
  s3:
    | {
        bucket: string;
        endpoint: string | undefined;
        region: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
      }
    | undefined;
  maxUploadBytes: number;
  mediaQuotaBytes: number;
  /** Fastify's trustProxy: false, a hop count, or the proxy addresses whose X-Forwarded-For is believed. */
  trustProxy: false | number | string;
  /** Non-public destinations that server-side fetches may reach anyway (host names, addresses, CIDRs). */
  outboundAllowHosts: string[];
  /** CORS_ORIGINS: browser origins allowed to call the /me routes (nothing else answers CORS). */
  corsOrigins: string[];
  /** Concurrent background jobs in this process; 0 runs none (the API still enqueues them). */
  workers: number;
  /** ENCRYPTION_KEY, or undefined to use a key generated and kept in the database. */
  encryptionKey: string | undefined;
  /** Used only when the first start bootstraps an empty database. */
  bootstrap: { ownerEmail: string; schoolName: string };
  /** CLI: SYLLABUS_API_KEY and SYLLABUS_URL. */
  cliApiKey: string | undefined;
  cliUrl: string | undefined;
};

export class ConfigError extends Error {}

/** Parses an environment (process.env by default) into a Config, or throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as they do in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    ceilings: {
      rateLimitPerMinute: e.RATE_LIMIT_MAX_PER_MINUTE,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      mediaQuotaBytes: e.MEDIA_QUOTA_BYTES,
    },
    throttle: {
      failedAuthPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      loginPerMinute: e.LOGIN_ATTEMPTS_PER_MINUTE,
      verifyPerMinute: e.VERIFY_PER_MINUTE,
    },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    dbPoolSize: e.DB_POOL_SIZE,
    s3: e.S3_BUCKET
      ? {
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
        }
      : undefined,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    mediaQuotaBytes: e.MEDIA_QUOTA_BYTES,
    trustProxy: e.TRUST_PROXY === 'false' ? false : /^\d+$/.test(e.TRUST_PROXY) ? Number(e.TRUST_PROXY) : e.TRUST_PROXY,
    outboundAllowHosts: e.OUTBOUND_ALLOW_HOSTS.split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    corsOrigins: splitList(e.CORS_ORIGINS),
    workers: e.WORKERS,
    encryptionKey: e.ENCRYPTION_KEY,
    bootstrap: { ownerEmail: e.OWNER_EMAIL, schoolName: e.SCHOOL_NAME },
    cliApiKey: e.SYLLABUS_API_KEY,
    cliUrl: e.SYLLABUS_URL?.replace(/\/$/, ''),
  };
}
