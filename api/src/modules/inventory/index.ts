import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../../platform/logger.js';
import type { Outbox } from '../../platform/outbox.js';
import { defineInventoryModels } from './inventory.models.js';
import { createInventoryRepository } from './inventory.repository.js';
import { createInventoryService } from './inventory.service.js';
import { createStockCounters } from './stock-counters.js';

export type { InventoryService, OrderStock, StockLine } from './inventory.service.js';
export { normalizeLines } from './inventory.service.js';
export { stockCounterKey } from './stock-counters.js';

/** Inventory: buyable stock per product, its Redis counters and the stock ledger. */
export function createInventoryModule(deps: {
  sequelize: Sequelize;
  redis: Redis;
  keyPrefix: string;
  outbox: Outbox;
  logger: Logger;
  /** How long a Redis reservation marker lives: longer than any order can stay unpaid. */
  reservationTtlMs: number;
}) {
  const repository = createInventoryRepository(defineInventoryModels(deps.sequelize));
  const counters = createStockCounters(deps.redis, deps.keyPrefix);
  return {
    service: createInventoryService({ ...deps, repository, counters }),
  };
}
