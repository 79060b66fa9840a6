import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { EventBus } from '../../platform/events.js';
import type { Route } from '../../platform/http/route.js';
import type { Logger } from '../../platform/logger.js';
import type { RedisKeys } from '../../platform/redis.js';
import type { InventoryService } from '../inventory/index.js';

/** The catalog: products, their listing (cached in Redis) and admin product management. */
export function createCatalogModule(deps: {
  sequelize: Sequelize;
  redis: Redis;
  keys: RedisKeys;
  inventory: InventoryService;
  events: EventBus;
  logger: Logger;
}) {
  void deps;
  const routes: Route[] = [];
  return { routes };
}
