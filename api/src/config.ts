import { z } from 'zod';

/** Used only outside production, so a fresh clone runs without any setup; the realtime server shares it. */
export const DEVELOPMENT_JWT_SECRET = 'vitrine-development-only-secret-change-me';
const DEVELOPMENT_WEBHOOK_SECRET = 'vitrine-development-only-webhook-secret';

/** A local SES emulator wants some credentials to sign with; their values don't matter. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^(mysql|mariadb|sqlite):/, 'must start with mysql://, mariadb:// or sqlite:')
    .default('sqlite:.data/vitrine.sqlite'),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().min(1).default('vitrine:'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 bytes').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  ORDER_PAYMENT_TTL_MS: z.coerce.number().int().min(1_000).default(300_000),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silly']).default('info'),
  PAYMENT_WEBHOOK_SECRET: z.string().min(16).optional(),
  RATE_LIMIT_RPM: z.coerce.number().int().min(0).default(1200),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
  LOGIN_FAILURE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(15 * 60_000),
  TRUST_PROXY: z.string().default('loopback'),
  CORS_ORIGINS: commaList.default(['http://localhost:3000', 'http://127.0.0.1:3000']),
  BODY_LIMIT: z.string().default('100kb'),
  COOKIE_SECURE: booleanFromEnv.optional(),
  RUN_WORKERS: booleanFromEnv.default(true),
  SES_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().default('ap-northeast-2'),
  MAIL_FROM: z.string().default('Vitrine <no-reply@vitrine.local>'),
  /** Sends email; defaults to on in production or when SES_ENDPOINT is set, off otherwise (tests, bare dev runs). */
  MAIL_ENABLED: booleanFromEnv.optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  MAIL_DEFAULT_LOCALE: z.enum(['ko', 'en']).default('ko'),
  MAIL_TIME_ZONE: z
    .string()
    .refine((zone) => isTimeZone(zone), 'must be an IANA time zone such as Asia/Seoul')
    .default('Asia/Seoul'),
  PUBLIC_WEB_URL: z.url().default('http://localhost:3000'),
  /** How long before an unpaid order's deadline the payment reminder goes out; 0 sends none. */
  PAYMENT_REMINDER_BEFORE_MS: z.coerce.number().int().min(0).default(60_000),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** First retry delay of a transient SES failure; it doubles with every attempt. */
  MAIL_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(2_000),
  /** `false` serves the catalog from the database on every read (benchmarks of the uncached path). */
  CATALOG_CACHE: booleanFromEnv.default(true),
});

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  database: { url: string; migrateOnStart: boolean };
  redis: { url: string; keyPrefix: string };
  auth: {
    jwtSecret: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlDays: number;
    cookieSecure: boolean;
    admin: { email: string; password: string } | null;
  };
  orders: { paymentTtlMs: number };
  payments: { webhookSecret: string };
  http: { trustProxy: boolean | number | string; corsOrigins: string[]; bodyLimit: string };
  rateLimit: {
    requestsPerMinute: number;
    loginMaxFailuresPerAccount: number;
    loginMaxFailuresPerIp: number;
    loginFailureWindowMs: number;
  };
  logLevel: string;
  runWorkers: boolean;
  mail: {
    enabled: boolean;
    sesEndpoint: string | undefined;
    awsRegion: string;
    from: string;
    /** null: the AWS SDK's default credential chain (environment, IAM role). */
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
    defaultLocale: 'ko' | 'en';
    timeZone: string;
    publicWebUrl: string;
    paymentReminderBeforeMs: number;
    maxAttempts: number;
    retryDelayMs: number;
  };
  catalog: { cacheEnabled: boolean };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Reads and validates the environment once; throws a ConfigError whose message names the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.JWT_SECRET) throw new ConfigError('Invalid configuration: JWT_SECRET is required in production');
  if (production && !e.PAYMENT_WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration: PAYMENT_WEBHOOK_SECRET is required in production');
  }
  if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) {
    throw new ConfigError('Invalid configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  }
  if (Boolean(e.ADMIN_EMAIL) !== Boolean(e.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }

  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    database: { url: e.DATABASE_URL, migrateOnStart: e.MIGRATE_ON_START },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    auth: {
      jwtSecret: e.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
      cookieSecure: e.COOKIE_SECURE ?? production,
      admin:
        e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL.toLowerCase(), password: e.ADMIN_PASSWORD } : null,
    },
    orders: { paymentTtlMs: e.ORDER_PAYMENT_TTL_MS },
    payments: { webhookSecret: e.PAYMENT_WEBHOOK_SECRET ?? DEVELOPMENT_WEBHOOK_SECRET },
    http: { trustProxy: parseTrustProxy(e.TRUST_PROXY), corsOrigins: e.CORS_ORIGINS, bodyLimit: e.BODY_LIMIT },
    rateLimit: {
      requestsPerMinute: e.RATE_LIMIT_RPM,
      loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginFailureWindowMs: e.LOGIN_FAILURE_WINDOW_MS,
    },
    logLevel: e.LOG_LEVEL,
    runWorkers: e.RUN_WORKERS,
    mail: {
      enabled: e.MAIL_ENABLED ?? (production || e.SES_ENDPOINT !== undefined),
      sesEndpoint: e.SES_ENDPOINT,
      awsRegion: e.AWS_REGION,
      from: e.MAIL_FROM,
      credentials:
        e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: e.AWS_ACCESS_KEY_ID,
              secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
              ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
            }
          : e.SES_ENDPOINT
            ? EMULATOR_CREDENTIALS
            : null,
      defaultLocale: e.MAIL_DEFAULT_LOCALE,
      timeZone: e.MAIL_TIME_ZONE,
      publicWebUrl: e.PUBLIC_WEB_URL.replace(/\/+$/, ''),
      paymentReminderBeforeMs: e.PAYMENT_REMINDER_BEFORE_MS,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      retryDelayMs: e.MAIL_RETRY_DELAY_MS,
    },
    catalog: { cacheEnabled: e.CATALOG_CACHE },
  });
}
