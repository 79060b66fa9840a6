import type { ProductSort } from '@vitrine/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';
import { tryAcquireLock } from '../../platform/redis-lock.js';
import type { RedisKeys } from '../../platform/redis.js';

/** Every lifetime and bound of the catalog cache, in one place. */
export const CATALOG_CACHE_POLICY = {
  /** The backstop: an entry whose invalidation was lost (a crash between commit and bump) lives at most this long. */
  entryTtlSeconds: 60,
  /** "No such product" answers are kept shorter: unknown ids are probed at random and fill memory. */
  missingTtlSeconds: 10,
  /**
   * Reads create a product's version too (any id can be asked for), so it expires soon; the next
   * one starts from Redis's clock, newer than every version before it, so no old entry comes back.
   */
  productVersionTtlSeconds: 120,
  /** How long one process holds the right to fill an entry: longer than any catalog query. */
  fillLockMs: 3_000,
  /** How long the others wait for that fill before asking the database themselves. */
  fillWaitMs: 3_000,
  fillPollMs: 10,
  /**
   * Each process keeps the decoded entries it served last, so a hit moves a version number from
   * Redis instead of the whole entry. Still checked against Redis's version on every read.
   */
  memoryEntries: 500,
  memoryTtlMs: 10_000,
} as const;

export interface ListKeyParts {
  sort: ProductSort;
  page: number;
  limit: number;
  q: string | undefined;
}

/**
 * Every catalog key, built from the deployment's prefix. An entry key is `prefix + version + suffix`:
 * lists share one catalog version, each product's detail has its own, and a change moves the
 * versions forward instead of deleting entries, so every API process sees it on its next read.
 */
export function catalogCacheKeys(keys: RedisKeys) {
  const base = `${keys.prefix}catalog:`;
  // Bumped whenever the stored form of an entry changes, so two releases running side by side
  // during a deploy never decode each other's entries (versions stay shared: invalidation still works).
  const entries = `${base}f1:`;
  return {
    listVersion: `${base}version`,
    productVersion: (productId: string) => `${base}version:${productId}`,
    list: (parts: ListKeyParts): CacheSlot => {
      const suffix = `:${parts.sort}:${parts.page}:${parts.limit}:${encodeURIComponent(parts.q ?? '')}`;
      return {
        kind: 'list',
        name: `list${suffix}`,
        versionKey: `${base}version`,
        versionTtlSeconds: 0,
        entryPrefix: `${entries}list:`,
        entrySuffix: suffix,
      };
    },
    product: (productId: string): CacheSlot => ({
      kind: 'product',
      name: `product:${productId}`,
      versionKey: `${base}version:${productId}`,
      versionTtlSeconds: CATALOG_CACHE_POLICY.productVersionTtlSeconds,
      entryPrefix: `${entries}product:${productId}:`,
      entrySuffix: '',
    }),
    fillLock: (entryKey: string) => keys.lock(`catalog-fill:${entryKey.slice(keys.prefix.length)}`),
  };
}

/** Where one cached answer lives. */
export interface CacheSlot {
  kind: 'list' | 'product';
  /** The entry without its version: for logs, the in-memory copies and single-flight while Redis is away. */
  name: string;
  versionKey: string;
  /** 0 keeps the version key forever. */
  versionTtlSeconds: number;
  entryPrefix: string;
  entrySuffix: string;
}

/** How a loaded value is stored in Redis (`encode`) and read back into what a request needs (`decode`). */
export interface CacheCodec<Loaded, Decoded> {
  encode(loaded: Loaded): string;
  decode(stored: Buffer): Decoded;
}

/**
 * One round trip for a read: the current version (started from Redis's clock when missing, so a
 * lost version key never brings back entries of an older one) and the entry under it, unless the
 * caller already holds that version (ARGV[4]). The entry key is assembled inside the script, so
 * this needs a single Redis, not a cluster.
 */
const READ_SCRIPT = `
local version = redis.call('GET', KEYS[1])
if not version then
  local now = redis.call('TIME')
  version = string.format('%.0f', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
  if tonumber(ARGV[3]) > 0 then
    redis.call('SET', KEYS[1], version, 'EX', ARGV[3])
  else
    redis.call('SET', KEYS[1], version)
  end
  return {version, false}
end
if version == ARGV[4] then return {version, false, 1} end
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}`;

/** Moves each version forward to at least Redis's clock in ms: never back to a value used before. */
const BUMP_SCRIPT = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i = 1, #KEYS do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  local nextVersion = string.format('%.0f', math.max(current + 1, ms))
  local ttl = tonumber(ARGV[i]) or 0
  if ttl > 0 then
    redis.call('SET', KEYS[i], nextVersion, 'EX', ttl)
  else
    redis.call('SET', KEYS[i], nextVersion)
  end
end
return #KEYS`;

interface CatalogScripts {
  /** ioredis's Buffer variant of the read script: entries are bytes, not decoded strings. */
  catalogCacheReadBuffer(
    versionKey: string,
    entryPrefix: string,
    entrySuffix: string,
    versionTtlSeconds: number,
    knownVersion: string,
  ): Promise<[Buffer, Buffer | null, number?]>;
  catalogCacheBump(keyCount: number, ...keysThenTtls: (string | number)[]): Promise<number>;
}

export interface CacheCounts {
  /** Answered from the cache (Redis, or this process's copy of the version Redis names). */
  hits: number;
  /** Redis had no entry for the current version. */
  misses: number;
  /** Database queries made for this kind of answer, whatever the path (fill, fallback, cache off). */
  loads: number;
  /** Answered by an entry another request or process filled while this one waited. */
  waits: number;
  /** Answered from the database because Redis was away. */
  fallbacks: number;
}
export type CatalogCacheStats = Record<CacheSlot['kind'], CacheCounts>;

/** Wraps a database error inside a fill, so it is told apart from a Redis one and not retried. */
class LoadFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('catalog cache load failed');
  }
}
const loadOrFail = async <T>(load: () => Promise<T>): Promise<T> => {
  try {
    return await load();
  } catch (error) {
    throw new LoadFailed(error);
  }
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const zeroCounts = (): CacheCounts => ({ hits: 0, misses: 0, loads: 0, waits: 0, fallbacks: 0 });

interface MemoryCopy {
  version: string;
  value: unknown;
  expiresAt: number;
}

/**
 * Cache-aside for catalog answers in Redis, with versioned keys, stampede protection (one fill per
 * key: single-flight in this process, a short Redis lock across processes, the others wait for the
 * entry) and a database fallback whenever Redis is away.
 */
export function createCatalogCache(deps: { redis: Redis; keys: RedisKeys; logger: Logger; enabled: boolean }) {
  const { redis, logger, enabled } = deps;
  const keys = catalogCacheKeys(deps.keys);
  redis.defineCommand('catalogCacheRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  redis.defineCommand('catalogCacheBump', { lua: BUMP_SCRIPT });
  const scripts = redis as unknown as CatalogScripts;

  const counts: CatalogCacheStats = { list: zeroCounts(), product: zeroCounts() };
  const inFlight = new Map<string, Promise<unknown>>();
  /** Decoded entries by slot name, oldest first (a Map keeps insertion order), for at most `memoryEntries`. */
  const memory = new Map<string, MemoryCopy>();
  /** Versions this process could not move forward while Redis was away; moved on reconnection. */
  const pendingBumps = new Set<string>();
  let redisAvailable = true;

  const redisFailed = (error: unknown) => {
    if (!redisAvailable) return;
    redisAvailable = false;
    // Once per outage: under load a line per request would bury everything else.
    logger.warn('catalog cache unavailable; answering from the database', { err: error });
  };
  const redisAnswered = () => {
    if (redisAvailable) return;
    redisAvailable = true;
    logger.info('catalog cache available again');
  };
  const debug = (outcome: string, slot: CacheSlot) => {
    // Checked first: winston formats a message before its level filter drops it, and this runs per request.
    if (logger.isDebugEnabled()) logger.debug(`catalog cache ${outcome}`, { cache: { key: slot.name, outcome } });
  };

  const remember = (slot: CacheSlot, version: string, value: unknown) => {
    memory.delete(slot.name);
    memory.set(slot.name, { version, value, expiresAt: Date.now() + CATALOG_CACHE_POLICY.memoryTtlMs });
    if (memory.size > CATALOG_CACHE_POLICY.memoryEntries) memory.delete(memory.keys().next().value!);
  };
  const recalled = (slot: CacheSlot): MemoryCopy | undefined => {
    const copy = memory.get(slot.name);
    if (copy && copy.expiresAt > Date.now()) return copy;
    if (copy) memory.delete(slot.name);
    return undefined;
  };

  /** Runs `work` once per key at a time in this process; concurrent callers share its result. */
  function singleFlight<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function bump(versionKeys: readonly string[]): Promise<void> {
    if (versionKeys.length === 0) return;
    const ttls = versionKeys.map((key) =>
      key === keys.listVersion ? 0 : CATALOG_CACHE_POLICY.productVersionTtlSeconds,
    );
    await scripts.catalogCacheBump(versionKeys.length, ...versionKeys, ...ttls);
  }

  async function flushPendingBumps(): Promise<void> {
    if (pendingBumps.size === 0) return;
    const versionKeys = [...pendingBumps];
    pendingBumps.clear();
    try {
      await bump(versionKeys);
      logger.info('catalog cache versions moved after an outage', { cache: { versions: versionKeys.length } });
    } catch (error) {
      for (const key of versionKeys) pendingBumps.add(key);
      redisFailed(error);
    }
  }
  redis.on('ready', () => void flushPendingBumps());

  /** The entry's owner: fills it from the database under a short lock, or waits for whoever holds it. */
  async function fill<L, D>(
    slot: CacheSlot,
    entryKey: string,
    load: () => Promise<L>,
    codec: CacheCodec<L, D>,
    ttlFor: (loaded: L) => number,
  ): Promise<D> {
    const stats = counts[slot.kind];
    const deadline = Date.now() + CATALOG_CACHE_POLICY.fillWaitMs;
    for (;;) {
      const lock = await tryAcquireLock(redis, keys.fillLock(entryKey), CATALOG_CACHE_POLICY.fillLockMs);
      if (lock) {
        try {
          // Another process may have filled it between our miss and our lock.
          const filled = await redis.getBuffer(entryKey);
          if (filled !== null) {
            stats.waits++;
            return codec.decode(filled);
          }
          stats.loads++;
          const loaded = await loadOrFail(load);
          const stored = codec.encode(loaded);
          await redis.set(entryKey, stored, 'EX', ttlFor(loaded)).catch(redisFailed);
          return codec.decode(Buffer.from(stored));
        } finally {
          await lock.release().catch(() => undefined);
        }
      }
      while (Date.now() < deadline) {
        await sleep(CATALOG_CACHE_POLICY.fillPollMs);
        const [entry, locked] = await Promise.all([redis.getBuffer(entryKey), redis.exists(keys.fillLock(entryKey))]);
        if (entry !== null) {
          stats.waits++;
          return codec.decode(entry);
        }
        if (locked === 0) break; // the filler gave up (its query failed); try to take over
      }
      if (Date.now() >= deadline) {
        stats.loads++;
        return codec.decode(Buffer.from(codec.encode(await loadOrFail(load))));
      }
    }
  }

  return {
    keys,

    /**
     * The cached value of `slot`, or `load()`'s, stored for the next reader. Never throws for
     * Redis: with Redis away it answers from the database (one query per key at a time).
     * Every path goes through `codec`, so an answer is the same bytes whichever path made it.
     */
    async read<L, D>(
      slot: CacheSlot,
      load: () => Promise<L>,
      codec: CacheCodec<L, D>,
      ttlFor: (loaded: L) => number,
    ): Promise<D> {
      const stats = counts[slot.kind];
      const loadDecoded = async () => codec.decode(Buffer.from(codec.encode(await load())));
      if (!enabled) {
        stats.loads++;
        return loadDecoded();
      }
      const fromDatabase = () => {
        stats.fallbacks++;
        return singleFlight(`db:${slot.name}`, () => {
          stats.loads++;
          return loadDecoded();
        });
      };
      // Not connected: answer at once rather than queue behind ioredis's reconnection.
      if (redis.status !== 'ready') {
        redisFailed(new Error(`redis is ${redis.status}`));
        return fromDatabase();
      }
      const copy = recalled(slot);
      let version: string;
      try {
        const [current, entry, unchanged] = await scripts.catalogCacheReadBuffer(
          slot.versionKey,
          slot.entryPrefix,
          slot.entrySuffix,
          slot.versionTtlSeconds,
          copy?.version ?? '',
        );
        redisAnswered();
        version = current.toString();
        if (unchanged === 1 && copy) {
          stats.hits++;
          debug('hit', slot);
          return copy.value as D;
        }
        if (entry !== null) {
          stats.hits++;
          debug('hit', slot);
          const value = codec.decode(entry);
          remember(slot, version, value);
          return value;
        }
      } catch (error) {
        redisFailed(error);
        return fromDatabase();
      }
      stats.misses++;
      debug('miss', slot);
      const entryKey = `${slot.entryPrefix}${version}${slot.entrySuffix}`;
      try {
        const value = await singleFlight(entryKey, () => fill(slot, entryKey, load, codec, ttlFor));
        remember(slot, version, value);
        return value;
      } catch (error) {
        // A database error is the caller's; a Redis error mid-fill falls back like any other.
        if (error instanceof LoadFailed) throw error.cause;
        redisFailed(error);
        return fromDatabase();
      }
    },

    /**
     * Moves the list version and these products' versions forward: every process's next read
     * misses and refills. Called after commit; never throws (a failed move is retried when Redis
     * comes back, and the entry TTL bounds the damage meanwhile).
     */
    async productsChanged(productIds: readonly string[]): Promise<void> {
      const versionKeys = [keys.listVersion, ...productIds.map((id) => keys.productVersion(id))];
      try {
        if (redis.status !== 'ready') throw new Error(`redis is ${redis.status}`);
        await bump(versionKeys);
        redisAnswered();
        await flushPendingBumps();
      } catch (error) {
        for (const key of versionKeys) pendingBumps.add(key);
        redisFailed(error);
      }
    },

    /** Counts since start, per kind of answer. */
    stats(): CatalogCacheStats {
      return { list: { ...counts.list }, product: { ...counts.product } };
    },
  };
}
export type CatalogCache = ReturnType<typeof createCatalogCache>;
