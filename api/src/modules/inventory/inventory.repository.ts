import { Op, type Transaction } from 'sequelize';
import type { InventoryModels, StockChangeReason } from './inventory.models.js';

export interface LedgerEntry {
  productId: string;
  delta: number;
  reason: StockChangeReason;
  orderId?: string | null;
  note?: string | null;
}

export function createInventoryRepository({ StockLevel, StockLedger }: InventoryModels) {
  return {
    async insertLevel(productId: string, available: number, transaction: Transaction): Promise<void> {
      await StockLevel.create({ productId, available }, { transaction });
    },

    async findAvailable(productIds: readonly string[], transaction?: Transaction): Promise<Map<string, number>> {
      if (productIds.length === 0) return new Map();
      const rows = await StockLevel.findAll({ where: { productId: [...productIds] }, transaction });
      return new Map(rows.map((row) => [row.productId, row.available]));
    },

    /**
     * Moves buyable stock by `delta` only if it stays at or above zero: the database's last word
     * against overselling. False when there is not enough (or no such product).
     */
    async changeAvailable(productId: string, delta: number, transaction: Transaction): Promise<boolean> {
      const [affected] = await StockLevel.update(
        { available: StockLevel.sequelize!.literal(`available + ${Math.trunc(delta)}`) },
        { where: { productId, available: { [Op.gte]: Math.max(0, -delta) } }, transaction },
      );
      return affected === 1;
    },

    async appendLedger(entries: readonly LedgerEntry[], transaction: Transaction): Promise<void> {
      await StockLedger.bulkCreate(
        entries.map((entry) => ({
          productId: entry.productId,
          delta: entry.delta,
          reason: entry.reason,
          orderId: entry.orderId ?? null,
          note: entry.note ?? null,
        })),
        { transaction },
      );
    },
  };
}
export type InventoryRepository = ReturnType<typeof createInventoryRepository>;
