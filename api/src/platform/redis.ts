import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Every Redis key of the API starts with the configured prefix, so two deployments or two
 * test runs can share one Redis without seeing each other. Keys are built here and nowhere else.
 */
export function redisKeys(prefix: string) {
  return {
    prefix,
    lock: (name: string) => `${prefix}lock:${name}`,
    rateLimit: (limiter: string) => `${prefix}rl:${limiter}:`,
    /** Bull puts its own `:queue:…` suffixes after this. */
    bull: `${prefix}bull`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** A client for commands: fails fast while Redis is away, so callers can fall back instead of hanging. */
export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    // Commands issued in the same event-loop turn (the events of a committed batch of orders, say)
    // leave in one write instead of one system call each.
    enableAutoPipelining: true,
  });
  let reported = false;
  redis.on('error', (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt; one line per outage is enough.
    if (!reported)
      logger.warn('redis connection error', { error: { message: error.message }, redis: { client: name } });
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info('redis connection restored', { redis: { client: name } });
    reported = false;
  });
  return redis;
}

export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((answer) => answer === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
