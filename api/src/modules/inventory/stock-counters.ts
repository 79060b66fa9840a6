import type { Redis } from 'ioredis';

const ADD_IF_PRESENT = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) else return nil end`;

/**
 * Buyable stock per product, mirrored in Redis so that reads (catalog overlay) and the order hot
 * path do not touch the database. A missing counter is loaded from the database on demand; the
 * database stays the last word, so a counter that is briefly off can refuse a buyer early, never
 * oversell.
 */
export function createStockCounters(redis: Redis, prefix: string) {
  const key = (productId: string) => `${prefix}stock:${productId}`;
  return {
    key,

    async read(productIds: readonly string[]): Promise<(number | null)[]> {
      if (productIds.length === 0) return [];
      const values = await redis.mget(...productIds.map(key));
      return values.map((value) => (value === null ? null : Number(value)));
    },

    /** Loads a counter unless another process loaded (and may have moved) it first. */
    async load(levels: ReadonlyMap<string, number>): Promise<void> {
      if (levels.size === 0) return;
      const pipeline = redis.pipeline();
      for (const [productId, available] of levels) pipeline.set(key(productId), available, 'NX');
      await pipeline.exec();
    },

    async set(productId: string, available: number): Promise<void> {
      await redis.set(key(productId), available);
    },

    /** Applies a committed change to a loaded counter; an unloaded one will be read fresh later. */
    async addIfPresent(productId: string, delta: number): Promise<void> {
      await redis.eval(ADD_IF_PRESENT, 1, key(productId), delta);
    },
  };
}
export type StockCounters = ReturnType<typeof createStockCounters>;
