import type { ChainableCommander, Redis } from 'ioredis';

const ADD_IF_PRESENT = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) else return nil end`;

/**
 * Takes every line of one order or none, atomically. KEYS[1] marks the reservation (so a retry with
 * the same order id does not take twice); KEYS[2..] are the counters, ARGV[1] the marker's TTL and
 * ARGV[2..] the quantities. Answers 1 when reserved (or already), 0 when a line lacks stock (the
 * 1-based line index comes second), -1 when a counter is not loaded (its line index second).
 */
const RESERVE_ALL_OR_NONE = `
if redis.call('exists', KEYS[1]) == 1 then return {1, 0} end
for i = 2, #KEYS do
  local available = redis.call('get', KEYS[i])
  if not available then return {-1, i - 1} end
  if tonumber(available) < tonumber(ARGV[i]) then return {0, i - 1} end
end
for i = 2, #KEYS do redis.call('decrby', KEYS[i], ARGV[i]) end
redis.call('set', KEYS[1], '1', 'PX', ARGV[1])
return {1, 0}`;

/** Gives back what RESERVE_ALL_OR_NONE took, once: only while its marker still exists. */
const UNDO_RESERVATION = `
if redis.call('del', KEYS[1]) == 0 then return 0 end
for i = 2, #KEYS do
  if redis.call('exists', KEYS[i]) == 1 then redis.call('incrby', KEYS[i], ARGV[i - 1]) end
end
return 1`;

export type CounterReservation = { outcome: 'reserved' } | { outcome: 'short' | 'unloaded'; productId: string };

export interface StockLine {
  productId: string;
  quantity: number;
}

/**
 * Buyable stock per product, mirrored in Redis so that reads (catalog overlay) and the order hot
 * path do not touch the database. A missing counter is loaded from the database on demand; the
 * database stays the last word, so a counter that is briefly off can refuse a buyer early, never
 * oversell.
 */
/** The Redis key of a product's buyable-stock counter; the realtime feed reads it too. */
export const stockCounterKey = (prefix: string, productId: string) => `${prefix}stock:${productId}`;

/** A Lua script sent once and then run by its SHA (EVALSHA), as ioredis does for defined commands. */
function defineScript(redis: Redis, name: string, lua: string) {
  redis.defineCommand(name, { lua });
  type Run = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown>;
  return {
    run: (keys: readonly string[], args: readonly (string | number)[]) =>
      (redis as unknown as Record<string, Run>)[name]!(keys.length, ...keys, ...args),
    /** The same script queued on a pipeline. */
    queue: (pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]) =>
      (pipeline as unknown as Record<string, (...keysThenArgs: (string | number)[]) => unknown>)[name]!(
        keys.length,
        ...keys,
        ...args,
      ),
  };
}

export function createStockCounters(redis: Redis, prefix: string) {
  const key = (productId: string) => stockCounterKey(prefix, productId);
  const reservationKey = (orderId: string) => `${prefix}stock-reservation:${orderId}`;
  const addIfPresent = defineScript(redis, 'vitrineStockAddIfPresent', ADD_IF_PRESENT);
  const reserveAllOrNone = defineScript(redis, 'vitrineStockReserve', RESERVE_ALL_OR_NONE);
  const undoReservation = defineScript(redis, 'vitrineStockUndoReservation', UNDO_RESERVATION);

  return {
    key,

    /** False while Redis is away: callers go to the database at once instead of waiting on a retry. */
    isReachable: () => redis.status === 'ready',

    async read(productIds: readonly string[]): Promise<(number | null)[]> {
      if (productIds.length === 0) return [];
      const values = await redis.mget(...productIds.map(key));
      return values.map((value) => (value === null ? null : Number(value)));
    },

    /** Loads counters unless another process loaded (and may have moved) them first. */
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
      await addIfPresent.run([key(productId)], [delta]);
    },

    async reserve(orderId: string, lines: readonly StockLine[], markerTtlMs: number): Promise<CounterReservation> {
      const [code, index] = (await reserveAllOrNone.run(
        [reservationKey(orderId), ...lines.map((line) => key(line.productId))],
        [markerTtlMs, ...lines.map((line) => line.quantity)],
      )) as [number, number];
      if (code === 1) return { outcome: 'reserved' };
      const productId = lines[index - 1]?.productId ?? '';
      return { outcome: code === 0 ? 'short' : 'unloaded', productId };
    },

    /** Undoes a reservation whose order never committed. */
    async undoReservation(orderId: string, lines: readonly StockLine[]): Promise<void> {
      await undoReservation.run(
        [reservationKey(orderId), ...lines.map((line) => key(line.productId))],
        lines.map((line) => line.quantity),
      );
    },

    /** Drops counters, so that the next read loads them from the database (after an update that may be lost). */
    async forget(productIds: readonly string[]): Promise<void> {
      if (productIds.length > 0) await redis.del(...productIds.map(key));
    },

    /**
     * After the stock of cancelled or expired orders came back in the database: their markers go
     * and the counters follow by each product's total, in one round trip however many orders.
     */
    async release(orderIds: readonly string[], totals: readonly StockLine[]): Promise<void> {
      if (orderIds.length === 0) return;
      const pipeline = redis.pipeline();
      pipeline.del(...orderIds.map(reservationKey));
      for (const line of totals) addIfPresent.queue(pipeline, [key(line.productId)], [line.quantity]);
      await pipeline.exec();
    },
  };
}
export type StockCounters = ReturnType<typeof createStockCounters>;
