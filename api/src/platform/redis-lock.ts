import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  readonly key: string;
  /** Pushes the expiry out again; false if the lock was lost meanwhile. */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A single-Redis mutual-exclusion lock (`SET NX PX` with an owner token). It only ever guards
 * work whose correctness the database also enforces, so a lock lost to expiry costs time, not data.
 */
export async function tryAcquireLock(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | null> {
  const token = randomUUID();
  const acquired = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (acquired !== 'OK') return null;
  return {
    key,
    extend: async (nextTtlMs) => (await redis.eval(EXTEND_IF_OWNER, 1, key, token, nextTtlMs)) === 1,
    release: async () => {
      await redis.eval(RELEASE_IF_OWNER, 1, key, token);
    },
  };
}

/** Waits (polling) until the lock is free, runs `work` while keeping the lock alive, then releases it. */
export async function withLock<T>(
  redis: Redis,
  key: string,
  options: { ttlMs: number; waitMs: number },
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  let lock = await tryAcquireLock(redis, key, options.ttlMs);
  while (!lock) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${key}`);
    await new Promise((done) => setTimeout(done, 100));
    lock = await tryAcquireLock(redis, key, options.ttlMs);
  }
  const heldLock = lock;
  const keepAlive = setInterval(() => void heldLock.extend(options.ttlMs).catch(() => undefined), options.ttlMs / 3);
  try {
    return await work();
  } finally {
    clearInterval(keepAlive);
    await heldLock.release().catch(() => undefined);
  }
}
