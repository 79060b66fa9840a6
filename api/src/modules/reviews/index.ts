import type { Sequelize } from 'sequelize';
import type { Logger } from '../../platform/logger.js';
import type { CatalogService } from '../catalog/index.js';
import type { OrdersService } from '../orders/index.js';
import { defineReviewModels } from './reviews.models.js';
import { createReviewsRepository } from './reviews.repository.js';
import { reviewsRoutes } from './reviews.router.js';
import { createReviewsService } from './reviews.service.js';

export type { ReviewsService } from './reviews.service.js';

/** Reviews: only from buyers, one per product and user, ratings kept in step with the catalog. */
export function createReviewsModule(deps: {
  sequelize: Sequelize;
  catalog: CatalogService;
  orders: Pick<OrdersService, 'hasPaidOrderWith'>;
  logger: Logger;
}) {
  const repository = createReviewsRepository(defineReviewModels(deps.sequelize));
  const service = createReviewsService({
    sequelize: deps.sequelize,
    repository,
    catalog: deps.catalog,
    orders: deps.orders,
    logger: deps.logger,
  });
  return { service, routes: reviewsRoutes(service) };
}
