import { z } from 'zod';

/**
 * The development-only HMAC key; the API uses the very same default so that tokens it issues in development
 * are accepted here. Refused in production.
 */
export const DEVELOPMENT_JWT_SECRET = 'vitrine-development-only-secret-change-me';

const MIN_SECRET_BYTES = 32;

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RedisUrl = z
  .string()
  .refine((value) => /^rediss?:$/.test(safeUrl(value)?.protocol ?? ''), 'must be a redis:// or rediss:// URL');

const CorsOrigins = z.string().transform((value, ctx) => {
  const origins: string[] = [];
  for (const entry of value.split(',')) {
    const candidate = entry.trim();
    if (candidate === '') continue;
    const url = safeUrl(candidate);
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: `"${candidate}" is not an origin like https://shop.example.com` });
      return z.NEVER;
    }
    origins.push(url.origin);
  }
  if (origins.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one origin' });
    return z.NEVER;
  }
  return origins;
});

const EnvSchema = z
  .object({
    NODE_ENV: z
      .enum(['development', 'production', 'test'], 'must be development, production or test')
      .default('development'),
    PORT: z.coerce
      .number('must be an integer between 0 and 65535')
      .int('must be an integer between 0 and 65535')
      .min(0, 'must be an integer between 0 and 65535')
      .max(65535, 'must be an integer between 0 and 65535')
      .default(4001),
    REDIS_URL: RedisUrl.default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[^\s*?[\]]+$/, 'must be non-empty and hold no spaces or glob characters (* ? [ ])')
      .default('vitrine:'),
    JWT_SECRET: z
      .string()
      .refine(
        (value) => Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES,
        `must be at least ${MIN_SECRET_BYTES} bytes`,
      )
      .optional(),
    LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
    CORS_ORIGINS: CorsOrigins.default(['http://localhost:3000', 'http://127.0.0.1:3000']),
    API_URL: z
      .string()
      .refine((value) => /^https?:$/.test(safeUrl(value)?.protocol ?? ''), 'must be an http:// or https:// URL')
      .transform((value) => value.replace(/\/+$/, ''))
      .default('http://127.0.0.1:4000'),
    SOCKET_EVENTS_PER_SECOND: z.coerce
      .number('must be a positive integer')
      .int('must be a positive integer')
      .min(1, 'must be a positive integer')
      .max(1000, 'must be at most 1000')
      .default(10),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.JWT_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production' });
    } else if (env.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'must not be the development default in production',
      });
    }
  });

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly redisUrl: string;
  /** Every Redis key and channel of the system starts with this, so separate deployments and test runs never meet. */
  readonly redisKeyPrefix: string;
  readonly jwtSecret: string;
  readonly logLevel: LogLevel;
  readonly corsOrigins: readonly string[];
  /** The API the current stock of a `product:watch` comes from (`GET /api/stock`); realtime holds no stock itself. */
  readonly apiUrl: string;
  /** Sustained events per second one socket may send; bursts of twice this pass. */
  readonly socketEventsPerSecond: number;
}

/** Thrown when the environment is unusable; its message is one line naming the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses and freezes the realtime configuration from the environment; throws ConfigError on the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An exported-but-empty variable (`PORT=`) means "use the default", as in most shells' dotenv habits.
  const present = Object.fromEntries(
    Object.keys(EnvSchema.shape).flatMap((name) => {
      const value = env[name];
      return value === undefined || value.trim() === '' ? [] : [[name, value]];
    }),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path[0] === undefined ? 'environment' : String(issue.path[0]);
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const values = parsed.data;
  return Object.freeze({
    nodeEnv: values.NODE_ENV,
    port: values.PORT,
    redisUrl: values.REDIS_URL,
    redisKeyPrefix: values.REDIS_KEY_PREFIX,
    jwtSecret: values.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    logLevel: values.LOG_LEVEL,
    corsOrigins: Object.freeze([...values.CORS_ORIGINS]),
    apiUrl: values.API_URL,
    socketEventsPerSecond: values.SOCKET_EVENTS_PER_SECOND,
  });
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
