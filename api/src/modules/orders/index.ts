import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Idempotency } from '../../platform/idempotency.js';
import type { Logger } from '../../platform/logger.js';
import type { Outbox } from '../../platform/outbox.js';
import type { QueueOptions } from '../../platform/queues.js';
import type { AddressesService } from '../addresses/index.js';
import type { InventoryService } from '../inventory/index.js';
import { createOrderExpiry } from './orders.jobs.js';
import { defineOrderModels } from './orders.models.js';
import { createOrdersRepository } from './orders.repository.js';
import { ordersRoutes } from './orders.router.js';
import type { ProductsForOrder } from './order-placement.js';
import { createOrdersService } from './orders.service.js';

export type { OrdersService } from './orders.service.js';
export type { ProductsForOrder } from './order-placement.js';
export type { OrderRecord } from './orders.repository.js';
export { idempotencyKeyOf } from './orders.router.js';
export { EXPIRE_UNPAID_ORDER, ORDERS_QUEUE } from './orders.jobs.js';

/** Orders: placing, paying, cancelling and on-time expiry of unpaid orders. */
export function createOrdersModule(deps: {
  sequelize: Sequelize;
  redis: Redis;
  inventory: InventoryService;
  addresses: AddressesService;
  catalog: ProductsForOrder;
  outbox: Outbox;
  idempotency: Idempotency;
  queueOptions: QueueOptions;
  sweeperLockKey: string;
  paymentTtlMs: number;
  logger: Logger;
}) {
  const repository = createOrdersRepository(defineOrderModels(deps.sequelize));
  const service = createOrdersService({ ...deps, repository });
  const expiry = createOrderExpiry({
    orders: service,
    redis: deps.redis,
    queueOptions: deps.queueOptions,
    sweeperLockKey: deps.sweeperLockKey,
    logger: deps.logger,
  });
  service.useExpiryScheduler(expiry.scheduler);
  return { service, expiry, routes: ordersRoutes({ orders: service, idempotency: deps.idempotency }) };
}
