import type { Sequelize, Transaction } from 'sequelize';
import { AppError, notFound } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { InventoryRepository } from './inventory.repository.js';
import type { StockCounters } from './stock-counters.js';

/** Buyable stock of each product: seeded at creation, moved by admins and orders, read by the catalog. */
export function createInventoryService(deps: {
  sequelize: Sequelize;
  repository: InventoryRepository;
  counters: StockCounters;
  events: EventBus;
  logger: Logger;
}) {
  const { sequelize, repository, counters, events, logger } = deps;

  const announce = (productId: string, available: number) => events.publish('stock.changed', { productId, available });

  return {
    /** Gives a new product its initial stock, inside the transaction that creates the product. */
    async seedStock(productId: string, quantity: number, transaction: Transaction): Promise<void> {
      await repository.insertLevel(productId, quantity, transaction);
      await repository.appendLedger([{ productId, delta: quantity, reason: 'INITIAL' }], transaction);
      transaction.afterCommit(async () => {
        await counters.set(productId, quantity).catch((error: unknown) => {
          logger.warn('stock counter not seeded; it will load on first read', { err: error });
        });
        announce(productId, quantity);
      });
    },

    /**
     * Current buyable stock of each product, from the Redis counters; counters that are missing are
     * loaded from the database, and with Redis away the database answers alone.
     */
    async availableStock(productIds: readonly string[]): Promise<Map<string, number>> {
      const unique = [...new Set(productIds)];
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
        else result.set(productId, value);
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
        const levels = await repository.findAvailable([productId], transaction);
        return levels.get(productId) ?? 0;
      });
      await counters.addIfPresent(productId, delta).catch((error: unknown) => {
        logger.warn('stock counter not updated after adjustment', { err: error });
      });
      announce(productId, available);
      return available;
    },
  };
}
export type InventoryService = ReturnType<typeof createInventoryService>;
