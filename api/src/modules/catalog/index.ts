import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { RedisKeys } from '../../platform/redis.js';
import type { InventoryService } from '../inventory/index.js';
import { createCatalogCache } from './catalog.cache.js';
import { defineCatalogModels } from './catalog.models.js';
import { createCatalogRepository } from './catalog.repository.js';
import { catalogRoutes } from './catalog.router.js';
import { createCatalogService } from './catalog.service.js';

export type { CatalogService, ProductForOrder, RatingChange } from './catalog.service.js';
export type { CatalogCacheStats } from './catalog.cache.js';
export { CATALOG_CACHE_POLICY } from './catalog.cache.js';

/** The catalog: products, their listing (cached in Redis) and admin product management. */
export function createCatalogModule(deps: {
  sequelize: Sequelize;
  redis: Redis;
  keys: RedisKeys;
  inventory: InventoryService;
  events: EventBus;
  logger: Logger;
  /** `cacheEnabled: false` reads the database every time (benchmarks); invalidation still runs. */
  options?: { cacheEnabled: boolean };
}) {
  const repository = createCatalogRepository(defineCatalogModels(deps.sequelize));
  const cache = createCatalogCache({
    redis: deps.redis,
    keys: deps.keys,
    logger: deps.logger,
    enabled: deps.options?.cacheEnabled ?? true,
  });
  const service = createCatalogService({
    sequelize: deps.sequelize,
    repository,
    cache,
    inventory: deps.inventory,
    events: deps.events,
  });
  return { service, routes: catalogRoutes(service) };
}
