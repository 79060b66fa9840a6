import type { Sequelize } from 'sequelize';
import type { Route } from '../../platform/http/route.js';
import type { Logger } from '../../platform/logger.js';
import type { CatalogService } from '../catalog/index.js';
import type { OrdersService } from '../orders/index.js';

/** Reviews: only from buyers, one per product and user, ratings kept in step with the catalog. */
export function createReviewsModule(deps: {
  sequelize: Sequelize;
  catalog: CatalogService;
  orders: Pick<OrdersService, 'hasPaidOrderWith'>;
  logger: Logger;
}) {
  void deps;
  const routes: Route[] = [];
  return { routes };
}
