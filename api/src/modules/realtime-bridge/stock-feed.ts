import { productRoom, type StockEvent } from '@vitrine/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';
import type { SocketEmitter } from './socket-emitter.js';
import { stockCounterKey } from '../inventory/index.js';

/**
 * One step of the feed, atomic in Redis: read the product's buyable-stock counter (or, when it is
 * not loaded, the value the event carried), and unless watchers already have that value or the
 * product was sent less than `minInterval` ago, take the next seq and remember what was sent.
 * Because the read and the seq happen in one step, a higher seq always carries a value at least as
 * new, whichever API process sends it. A product's first seq is the current time in ms, so seqs
 * keep growing even if Redis lost the feed's hash meanwhile.
 *
 * KEYS: counter, feed hash. ARGV: fallback stock, min interval (ms), force (1: send even if unchanged).
 * Answers {1, seq, stock, atMs} when sent, {0} when unchanged, {-1, waitMs} when too soon.
 */
const NEXT_STOCK_EVENT = `
local counter = redis.call('get', KEYS[1])
local stock = tonumber(counter or ARGV[1])
if stock < 0 then stock = 0 end
local time = redis.call('time')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local last = redis.call('hmget', KEYS[2], 'seq', 'stock', 'at')
if ARGV[3] ~= '1' and last[2] and tonumber(last[2]) == stock then return {0} end
if last[3] then
  local wait = tonumber(last[3]) + tonumber(ARGV[2]) - now
  if wait > 0 then return {-1, wait} end
end
if not last[1] then redis.call('hset', KEYS[2], 'seq', now - 1) end
local seq = redis.call('hincrby', KEYS[2], 'seq', 1)
redis.call('hset', KEYS[2], 'stock', stock, 'at', now)
return {1, seq, stock, now}`;

/** Per-product pacing; the defaults keep a flash sale at ≤ 10 events/s per product and a change ≤ ~150 ms away. */
export interface StockFeedTiming {
  /** Waits this long after the first change of a burst, so the burst (and the counter write) lands first. */
  settleMs: number;
  /** At most one event per product per this interval, across all API processes. */
  minIntervalMs: number;
  /** Reads once more this long after sending, in case the counter moved after the event that woke the feed. */
  confirmMs: number;
  /** After a Redis failure, tries again this long later, up to `maxRetries` times. */
  retryMs: number;
  maxRetries: number;
}

export const DEFAULT_STOCK_FEED_TIMING: StockFeedTiming = {
  settleMs: 20,
  minIntervalMs: 100,
  confirmMs: 250,
  retryMs: 1_000,
  maxRetries: 30,
};

interface ProductFeed {
  productId: string;
  /** The latest `available` an event carried: used only while the counter is not loaded. */
  fallback: number;
  /** A change arrived that no read has covered yet. */
  dirty: boolean;
  /** The last send may not have reached Redis: send the current value even if it looks unchanged. */
  force: boolean;
  timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (ms since epoch). */
  dueAt: number;
  running: Promise<void> | undefined;
  lastRunAt: number;
  failures: number;
}

type Step = { outcome: 'sent'; event: StockEvent } | { outcome: 'unchanged' } | { outcome: 'wait'; waitMs: number };

/**
 * Turns committed stock changes into `stock` events for the product's watchers: coalesced per
 * product (the latest value wins), paced, and numbered by `seq`. The value sent is the Redis stock
 * counter (what the catalog and the watch ack show), read when the event is sent.
 */
export function createStockFeed(deps: {
  redis: Redis;
  keyPrefix: string;
  emitter: SocketEmitter;
  logger: Logger;
  timing?: Partial<StockFeedTiming>;
}) {
  const { redis, keyPrefix, emitter, logger } = deps;
  const timing: StockFeedTiming = { ...DEFAULT_STOCK_FEED_TIMING, ...deps.timing };
  // The counter's key is the inventory module's (stock-counters.ts); it is read here, never written.
  const counterKey = (productId: string) => stockCounterKey(keyPrefix, productId);
  const feedKey = (productId: string) => `${keyPrefix}realtime:stock:${productId}`;
  const feeds = new Map<string, ProductFeed>();
  let stopped = false;

  async function step(feed: ProductFeed, force: boolean): Promise<Step> {
    const reply = (await redis.eval(
      NEXT_STOCK_EVENT,
      2,
      counterKey(feed.productId),
      feedKey(feed.productId),
      feed.fallback,
      timing.minIntervalMs,
      force ? 1 : 0,
    )) as number[];
    const [code = 0, first = 0, second = 0, third = 0] = reply;
    if (code === 0) return { outcome: 'unchanged' };
    if (code === -1) return { outcome: 'wait', waitMs: first };
    return {
      outcome: 'sent',
      event: { productId: feed.productId, stock: second, seq: first, at: new Date(third).toISOString() },
    };
  }

  function schedule(feed: ProductFeed, delayMs: number): void {
    if (stopped || feed.running) return;
    const dueAt = Date.now() + delayMs;
    if (feed.timer) {
      if (feed.dueAt <= dueAt) return;
      clearTimeout(feed.timer);
    }
    feed.dueAt = dueAt;
    feed.timer = setTimeout(() => {
      feed.timer = undefined;
      feed.running = run(feed).then((next) => {
        feed.running = undefined;
        // A change may have come in after `run` looked: it still gets its turn.
        if (next === undefined && (feed.dirty || feed.force)) next = timing.minIntervalMs;
        if (next !== undefined) schedule(feed, next);
        else feeds.delete(feed.productId);
      });
    }, delayMs);
  }

  /** One read (and maybe one event); answers when to look again, if at all. Never rejects. */
  async function run(feed: ProductFeed): Promise<number | undefined> {
    const woken = feed.dirty;
    const force = feed.force;
    feed.dirty = false;
    feed.force = false;
    feed.lastRunAt = Date.now();
    let next: number | undefined;
    try {
      const result = await step(feed, force);
      if (result.outcome === 'wait') {
        feed.dirty ||= woken;
        feed.force ||= force;
        next = Math.max(1, result.waitMs);
      } else if (result.outcome === 'sent') {
        // Redis holds this value as sent now: if the publish failed, the retry must send it even though unchanged.
        await emitter.toRoom(productRoom(feed.productId), 'stock', result.event).catch((error: unknown) => {
          feed.force = true;
          throw error;
        });
        next = woken ? timing.confirmMs : undefined;
      } else {
        next = woken ? timing.confirmMs : undefined;
      }
      feed.failures = 0;
    } catch (error) {
      feed.dirty ||= woken;
      feed.force ||= force;
      feed.failures++;
      if (feed.failures > timing.maxRetries) {
        logger.error('stock events of this product given up; watchers catch up on their next watch', {
          err: error,
          product: { id: feed.productId },
        });
        feed.dirty = false;
        feed.force = false;
        feed.failures = 0;
        return undefined;
      }
      if (feed.failures === 1) {
        logger.warn('stock event not sent; retrying', { err: error, product: { id: feed.productId } });
      }
      return timing.retryMs;
    }
    // A change that arrived meanwhile goes out as soon as the pacing allows (the script paces across processes).
    if (feed.dirty) next = Math.min(next ?? timing.minIntervalMs, timing.minIntervalMs);
    return next;
  }

  /** At shutdown: sends what is pending now, waiting out the pacing if needed; a failing Redis is not waited for. */
  async function flushNow(feed: ProductFeed): Promise<void> {
    for (let attempt = 0; attempt < 3 && (feed.dirty || feed.force); attempt++) {
      const next = await run(feed);
      if (feed.failures > 0 || next === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(next, timing.minIntervalMs)));
    }
  }

  return {
    /** A committed change of a product's buyable stock (`available` is the database's value then). */
    changed(productId: string, available: number): void {
      if (stopped) return;
      let feed = feeds.get(productId);
      if (!feed) {
        feed = {
          productId,
          fallback: available,
          dirty: false,
          force: false,
          timer: undefined,
          dueAt: 0,
          running: undefined,
          lastRunAt: 0,
          failures: 0,
        };
        feeds.set(productId, feed);
      }
      feed.fallback = available;
      feed.dirty = true;
      // An earlier pending look (a confirm or a retry) is brought forward, within the pacing.
      schedule(feed, Math.max(timing.settleMs, feed.lastRunAt + timing.minIntervalMs - Date.now()));
    },

    /**
     * The last seq sent for each product (0 if none). Read before the stock itself, a snapshot is
     * then at least as new as the event with this seq.
     */
    async lastSeq(productIds: readonly string[]): Promise<Map<string, number>> {
      const pipeline = redis.pipeline();
      for (const productId of productIds) pipeline.hget(feedKey(productId), 'seq');
      const replies = (await pipeline.exec()) ?? [];
      const result = new Map<string, number>();
      productIds.forEach((productId, index) => {
        const [error, value] = replies[index] ?? [null, null];
        if (error) throw error;
        result.set(productId, typeof value === 'string' ? Number(value) : 0);
      });
      return result;
    },

    /** Sends what is pending now (a change must not be lost to a shutdown), then takes no more. */
    async stop(): Promise<void> {
      stopped = true;
      const pending: Promise<void>[] = [];
      for (const feed of feeds.values()) {
        if (feed.timer) clearTimeout(feed.timer);
        feed.timer = undefined;
        pending.push((feed.running ?? Promise.resolve()).then(() => flushNow(feed)));
      }
      await Promise.all(pending);
      feeds.clear();
    },
  };
}
export type StockFeed = ReturnType<typeof createStockFeed>;
