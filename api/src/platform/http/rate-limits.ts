import type { RequestHandler } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../redis.js';

export interface RateLimitOptions {
  requestsPerMinute: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginFailureWindowMs: number;
}

function redisStore(redis: Redis, prefix: string): RedisStore {
  return new RedisStore({
    prefix,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
  });
}

function limiter(
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
  name: string,
  options: Partial<Options>,
  message: string,
): RequestHandler {
  const limit = rateLimit({
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: redisStore(redis, keys.rateLimit(name)),
    // Redis away must not take the whole API down with it; the outage is logged by the store's caller.
    passOnStoreError: true,
    handler: (req, _res, next, used) => {
      logger.warn('rate limit reached', { rateLimit: { name, limit: used.limit }, client: { ip: req.ip } });
      next(new AppError('RATE_LIMITED', message));
    },
    ...options,
  });
  // With Redis away the limiter fails open anyway; skipping it spares each request a Redis timeout.
  return (req, res, next) => (redis.status === 'ready' ? limit(req, res, next) : next());
}

/** The general per-IP limit over the whole API; `requestsPerMinute: 0` turns it off (load tests). */
export function generalRateLimit(
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
  options: RateLimitOptions,
): RequestHandler {
  if (options.requestsPerMinute === 0) return (_req, _res, next) => next();
  return limiter(
    redis,
    keys,
    logger,
    'ip',
    { windowMs: 60_000, limit: options.requestsPerMinute },
    'Too many requests; slow down',
  );
}

/**
 * Brute-force guards for login: failed attempts counted per account and per IP (successful
 * logins are not counted). They apply whatever the general limit says.
 */
export function loginRateLimits(
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
  options: RateLimitOptions,
): RequestHandler[] {
  const message = 'Too many failed logins; try again later';
  const common = { windowMs: options.loginFailureWindowMs, skipSuccessfulRequests: true };
  const accountOf = (body: unknown): string => {
    const email = (body as { email?: unknown } | undefined)?.email;
    return typeof email === 'string' ? email.trim().toLowerCase() : '(none)';
  };
  return [
    limiter(redis, keys, logger, 'login-ip', { ...common, limit: options.loginMaxFailuresPerIp }, message),
    limiter(
      redis,
      keys,
      logger,
      'login-account',
      { ...common, limit: options.loginMaxFailuresPerAccount, keyGenerator: (req) => accountOf(req.body) },
      message,
    ),
  ];
}
