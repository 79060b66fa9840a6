import type { Sequelize, Transaction } from 'sequelize';
import { AppError, notFound } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Outbox } from '../../platform/outbox.js';
import type { InventoryRepository } from './inventory.repository.js';
import type { StockCounters, StockLine } from './stock-counters.js';

export type { StockLine } from './stock-counters.js';

/** One order's lines, for releasing stock in batches. */
export interface OrderStock {
  orderId: string;
  lines: readonly StockLine[];
}

const FORGET_ATTEMPTS = 60;

const outOfStock = (productId: string, available?: number) =>
  new AppError('OUT_OF_STOCK', 'Not enough stock for this order', { productId, available });

/** Same product ids, summed, in one fixed order: every transaction locks rows in this order, so none deadlock. */
export function normalizeLines(lines: readonly StockLine[]): StockLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return [...totals]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

/** What a set of orders takes (or gives back) per product, in the fixed order every transaction locks rows in. */
const totalPerProduct = (orders: readonly OrderStock[]): StockLine[] =>
  normalizeLines(orders.flatMap((order) => order.lines));

/**
 * Buyable stock of each product. Orders reserve it in two steps: an atomic Redis reservation (the
 * gate: sold-out answers never reach the database, and buyers never queue behind a lock), then a
 * conditional update per line in the order's own transaction (the fence: the database never goes
 * below zero, whatever Redis believed).
 */
export function createInventoryService(deps: {
  sequelize: Sequelize;
  repository: InventoryRepository;
  counters: StockCounters;
  outbox: Outbox;
  logger: Logger;
  reservationTtlMs: number;
}) {
  const { sequelize, repository, counters, outbox, logger } = deps;

  const recordStockChanges = async (productIds: Iterable<string>, transaction: Transaction) => {
    const levels = await repository.findAvailable([...productIds], transaction);
    await outbox.recordMany(
      transaction,
      'stock.changed',
      [...levels].map(([productId, available]) => ({ payload: { productId, available } })),
    );
  };

  /**
   * A counter that missed a committed change (Redis away at that moment) would stay wrong, and a
   * low one refuses buyers while the database has stock: it is dropped, so that its next read loads
   * it from the database, trying again for a while if Redis is still away.
   */
  const forgetCounters = (productIds: readonly string[], attempt = 1): void => {
    counters.forget(productIds).catch(() => {
      if (attempt < FORGET_ATTEMPTS) setTimeout(() => forgetCounters(productIds, attempt + 1), 1_000).unref();
      else logger.error('stock counters may be stale until Redis is emptied', { product: { ids: productIds } });
    });
  };

  /** Reloads counters from the database, e.g. after the database refused what Redis allowed. */
  const resyncCounters = async (productIds: readonly string[]) => {
    const levels = await repository.findAvailable(productIds);
    await Promise.all([...levels].map(([productId, available]) => counters.set(productId, available))).catch(
      () => undefined,
    );
  };

  return {
    /** Gives a new product its initial stock, inside the transaction that creates the product. */
    async seedStock(productId: string, quantity: number, transaction: Transaction): Promise<void> {
      await repository.insertLevel(productId, quantity, transaction);
      await repository.appendLedger([{ productId, delta: quantity, reason: 'INITIAL' }], transaction);
      await outbox.record(transaction, 'stock.changed', { productId, available: quantity });
      transaction.afterCommit(() =>
        counters.set(productId, quantity).catch((error: unknown) => {
          logger.warn('stock counter not seeded; it will load on first read', { err: error });
        }),
      );
    },

    /**
     * Current buyable stock of each product, from the Redis counters; counters that are missing are
     * loaded from the database, and with Redis away the database answers alone.
     */
    async availableStock(productIds: readonly string[]): Promise<Map<string, number>> {
      const unique = [...new Set(productIds)];
      if (!counters.isReachable()) return repository.findAvailable(unique);
      let cached: (number | null)[];
      try {
        cached = await counters.read(unique);
      } catch (error) {
        logger.warn('stock counters unavailable; reading stock from the database', { err: error });
        return repository.findAvailable(unique);
      }
      const result = new Map<string, number>();
      const missing: string[] = [];
      unique.forEach((productId, index) => {
        const value = cached[index];
        if (value === null || value === undefined) missing.push(productId);
        else result.set(productId, Math.max(0, value));
      });
      if (missing.length > 0) {
        const fromDatabase = await repository.findAvailable(missing);
        await counters.load(fromDatabase).catch(() => undefined);
        for (const [productId, available] of fromDatabase) result.set(productId, available);
      }
      return result;
    },

    /** An admin restock (positive) or write-off (negative); refused with OUT_OF_STOCK below zero. */
    async adjustStock(productId: string, delta: number, note: string | null): Promise<number> {
      const available = await sequelize.transaction(async (transaction) => {
        if (!(await repository.changeAvailable(productId, delta, transaction))) {
          const current = await repository.findAvailable([productId], transaction);
          if (!current.has(productId)) throw notFound('Product');
          throw new AppError('OUT_OF_STOCK', `Only ${current.get(productId)} left; cannot remove ${-delta}`, {
            productId,
            available: current.get(productId),
          });
        }
        await repository.appendLedger([{ productId, delta, reason: 'ADJUSTMENT', note }], transaction);
        await recordStockChanges([productId], transaction);
        return (await repository.findAvailable([productId], transaction)).get(productId) ?? 0;
      });
      await counters.addIfPresent(productId, delta).catch((error: unknown) => {
        logger.warn('stock counter not updated after adjustment; it will reload from the database', { err: error });
        forgetCounters([productId]);
      });
      return available;
    },

    /**
     * The gate: takes all lines from the Redis counters or none. OUT_OF_STOCK here never touched
     * the database. With Redis away the gate opens and the database decides alone.
     */
    async reserveInCounters(orderId: string, lines: readonly StockLine[]): Promise<boolean> {
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const result = await counters.reserve(orderId, lines, deps.reservationTtlMs);
          if (result.outcome === 'reserved') return true;
          if (result.outcome === 'short') throw outOfStock(result.productId);
          const levels = await repository.findAvailable(lines.map((line) => line.productId));
          const unknown = lines.find((line) => !levels.has(line.productId));
          if (unknown) throw new AppError('NOT_FOUND', 'Product not found', { productId: unknown.productId });
          await counters.load(levels);
        }
        return false;
      } catch (error) {
        if (error instanceof AppError) throw error;
        logger.warn('stock counters unavailable; the database alone guards this order', { err: error });
        return false;
      }
    },

    /**
     * The fence, for one order or a batch of them written in one transaction: the ledger rows
     * first, then one conditional update per product for the batch's total (products in a fixed
     * order), so the row locks are taken last and held only to the commit. OUT_OF_STOCK if the
     * database has less than the batch needs: nothing of the transaction may then commit.
     */
    async reserveInDatabase(orders: readonly OrderStock[], transaction: Transaction): Promise<void> {
      await repository.appendLedger(
        orders.flatMap((order) =>
          order.lines.map((line) => ({
            productId: line.productId,
            delta: -line.quantity,
            reason: 'ORDER_RESERVED' as const,
            orderId: order.orderId,
          })),
        ),
        transaction,
      );
      const perProduct = totalPerProduct(orders);
      for (const line of perProduct) {
        if (!(await repository.changeAvailable(line.productId, -line.quantity, transaction))) {
          throw outOfStock(line.productId);
        }
      }
      await recordStockChanges(
        perProduct.map((line) => line.productId),
        transaction,
      );
    },

    /** Gives the counters back what an order that never committed had taken. */
    async abandonReservation(orderId: string, lines: readonly StockLine[], databaseRefused: boolean): Promise<void> {
      try {
        await counters.undoReservation(orderId, lines);
        // Redis allowed what the database refused: the counters were ahead of the truth.
        if (databaseRefused) await resyncCounters(lines.map((line) => line.productId));
      } catch (error) {
        logger.warn('stock reservation not undone in Redis', { err: error, order: { id: orderId } });
      }
    },

    /**
     * Returns the stock of cancelled or expired orders in the caller's transaction, one UPDATE per
     * product however many orders (so a wave of expiries does not fight buyers row by row).
     */
    async releaseForOrders(orders: readonly OrderStock[], transaction: Transaction): Promise<void> {
      await repository.appendLedger(
        orders.flatMap((order) =>
          order.lines.map((line) => ({
            productId: line.productId,
            delta: line.quantity,
            reason: 'ORDER_RELEASED' as const,
            orderId: order.orderId,
          })),
        ),
        transaction,
      );
      // Last, as for reservations: the product rows stay locked only until the commit.
      const perProduct = totalPerProduct(orders);
      for (const line of perProduct) await repository.changeAvailable(line.productId, line.quantity, transaction);
      await recordStockChanges(
        perProduct.map((line) => line.productId),
        transaction,
      );
      transaction.afterCommit(() =>
        counters
          .release(
            orders.map((order) => order.orderId),
            perProduct,
          )
          .catch((error: unknown) => {
            logger.warn('stock counters not released; they will reload from the database', { err: error });
            forgetCounters(perProduct.map((line) => line.productId));
          }),
      );
    },
  };
}
export type InventoryService = ReturnType<typeof createInventoryService>;
