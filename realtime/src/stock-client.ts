import { MAX_WATCHED_PER_CALL, StockSnapshot } from '@vitrine/contracts';
import type { Logger } from './logger.js';

export interface StockClientOptions {
  apiUrl: string;
  logger: Logger;
  /** How long a request may take before its watchers are told to try again. */
  timeoutMs?: number;
  /** Watches that arrive within this window share one request (a flash sale opens thousands at once). */
  batchWindowMs?: number;
  /** Requests in flight at once; further batches keep filling until a slot frees. */
  maxInFlight?: number;
  /**
   * At least this long between two requests, so a reconnect storm (thousands of re-watches at once) costs the API
   * a few requests a second and stays far below its per-IP rate limit; waiting batches keep filling meanwhile.
   */
  minIntervalMs?: number;
}

/** Thrown when the API could not say what the stock is; the watch is acknowledged `{ok: false}`. */
export class StockUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StockUnavailable';
  }
}

interface Waiter {
  productIds: readonly string[];
  resolve: (snapshot: StockSnapshot) => void;
  reject: (error: Error) => void;
}

interface Batch {
  ids: Set<string>;
  waiters: Waiter[];
  openedAt: number;
}

/**
 * Asks the API (`GET /api/stock`) for the current stock of watched products. Realtime keeps no stock
 * of its own: every answer is read after the socket joined the product's room, so together with the
 * `stock` events that follow, the client never misses a change. Calls that arrive close together are
 * merged into one request of up to 100 ids; a request already under way is never shared, since it may
 * have read the stock before a later caller joined its rooms.
 */
export function createStockClient(options: StockClientOptions) {
  const { apiUrl, logger } = options;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const batchWindowMs = options.batchWindowMs ?? 2;
  const maxInFlight = options.maxInFlight ?? 4;
  const minIntervalMs = options.minIntervalMs ?? 100;
  const controller = new AbortController();
  const batches: Batch[] = [];
  let inFlight = 0;
  let lastSentAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function request(ids: readonly string[]): Promise<StockSnapshot> {
    const url = `${apiUrl}/api/stock?productIds=${ids.map(encodeURIComponent).join(',')}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      throw new StockUnavailable(`stock request failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new StockUnavailable(`stock request answered ${response.status}`);
    }
    const parsed = StockSnapshot.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new StockUnavailable('stock answer did not match the contract');
    return parsed.data;
  }

  async function send(batch: Batch): Promise<void> {
    inFlight++;
    try {
      const snapshot = await request([...batch.ids]);
      for (const waiter of batch.waiters) waiter.resolve(pick(snapshot, waiter.productIds));
    } catch (error) {
      const failure = error instanceof StockUnavailable ? error : new StockUnavailable(String(error));
      if (!closed) logger.warn('stock snapshot unavailable', { err: failure, api: { url: apiUrl } });
      for (const waiter of batch.waiters) waiter.reject(failure);
    } finally {
      inFlight--;
      pump();
    }
  }

  /** Sends the oldest batch once it is full or its window has passed, as far as slots and pacing allow. */
  function pump(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const next = batches[0];
    if (!next || inFlight >= maxInFlight) return; // a finishing request pumps again
    const now = Date.now();
    const readyAt =
      next.ids.size >= MAX_WATCHED_PER_CALL
        ? lastSentAt + minIntervalMs
        : Math.max(next.openedAt + batchWindowMs, lastSentAt + minIntervalMs);
    if (readyAt > now) {
      timer = setTimeout(pump, readyAt - now);
      return;
    }
    batches.shift();
    lastSentAt = now;
    void send(next);
    if (batches.length > 0) timer = setTimeout(pump, minIntervalMs);
  }

  return {
    /** The stock and seq of these products (unknown ids left out); rejects with StockUnavailable. */
    snapshot(productIds: readonly string[]): Promise<StockSnapshot> {
      if (closed) return Promise.reject(new StockUnavailable('shutting down'));
      const ids = [...new Set(productIds)];
      return new Promise<StockSnapshot>((resolve, reject) => {
        const waiter: Waiter = { productIds: ids, resolve, reject };
        let batch = batches.at(-1);
        const added = batch ? ids.filter((id) => !batch?.ids.has(id)).length : ids.length;
        if (!batch || batch.ids.size + added > MAX_WATCHED_PER_CALL) {
          batch = { ids: new Set(), waiters: [], openedAt: Date.now() };
          batches.push(batch);
        }
        for (const id of ids) batch.ids.add(id);
        batch.waiters.push(waiter);
        if (!timer) pump();
      });
    },

    /** Aborts requests under way and fails the waiting ones. */
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      controller.abort();
      for (const batch of batches.splice(0)) {
        for (const waiter of batch.waiters) waiter.reject(new StockUnavailable('shutting down'));
      }
    },
  };
}
export type StockClient = ReturnType<typeof createStockClient>;

function pick(snapshot: StockSnapshot, productIds: readonly string[]): StockSnapshot {
  const result: StockSnapshot = { stock: {}, seq: {} };
  for (const productId of productIds) {
    const stock = snapshot.stock[productId];
    if (stock === undefined) continue;
    result.stock[productId] = stock;
    result.seq[productId] = snapshot.seq[productId] ?? 0;
  }
  return result;
}
