import type { Transaction } from 'sequelize';
import { execute, selectRows, sqlTime, valuesOf } from '../../platform/sql.js';
import type { InventoryModels, StockChangeReason } from './inventory.models.js';

export interface LedgerEntry {
  productId: string;
  delta: number;
  reason: StockChangeReason;
  orderId?: string | null;
  note?: string | null;
}

export function createInventoryRepository({ StockLevel }: InventoryModels) {
  const sequelize = StockLevel.sequelize!;
  return {
    async insertLevel(productId: string, available: number, transaction: Transaction): Promise<void> {
      await StockLevel.create({ productId, available }, { transaction });
    },

    /** Buyable stock of each product (plain SQL: read inside every batch of orders). */
    async findAvailable(productIds: readonly string[], transaction?: Transaction): Promise<Map<string, number>> {
      if (productIds.length === 0) return new Map();
      const rows = await selectRows<{ productId: string; available: number }>(
        sequelize,
        'SELECT product_id AS productId, available FROM stock_levels WHERE product_id IN (:productIds)',
        { productIds: [...new Set(productIds)] },
        transaction,
      );
      return new Map(rows.map((row) => [row.productId, Number(row.available)]));
    },

    /**
     * Moves buyable stock by `delta` only if it stays at or above zero: the database's last word
     * against overselling. False when there is not enough (or no such product).
     */
    async changeAvailable(productId: string, delta: number, transaction: Transaction): Promise<boolean> {
      const affected = await execute(
        sequelize,
        `UPDATE stock_levels SET available = available + :delta, updated_at = :now
          WHERE product_id = :productId AND available >= :needed`,
        {
          delta: Math.trunc(delta),
          needed: Math.max(0, -Math.trunc(delta)),
          productId,
          now: sqlTime(sequelize, new Date()),
        },
        transaction,
      );
      return affected === 1;
    },

    async appendLedger(entries: readonly LedgerEntry[], transaction: Transaction): Promise<void> {
      if (entries.length === 0) return;
      const createdAt = sqlTime(sequelize, new Date());
      const { tuples, replacements } = valuesOf(
        entries.map((entry) => ({
          productId: entry.productId,
          delta: entry.delta,
          reason: entry.reason,
          orderId: entry.orderId ?? null,
          note: entry.note ?? null,
          createdAt,
        })),
        ['productId', 'delta', 'reason', 'orderId', 'note', 'createdAt'],
      );
      await execute(
        sequelize,
        `INSERT INTO stock_ledger (product_id, delta, reason, order_id, note, created_at) VALUES ${tuples}`,
        replacements,
        transaction,
      );
    },
  };
}
export type InventoryRepository = ReturnType<typeof createInventoryRepository>;
