import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Idempotency } from '../../platform/idempotency.js';
import type { Logger } from '../../platform/logger.js';
import type { OrdersService } from '../orders/index.js';
import { createSandboxProvider, type PaymentProvider } from './payment-provider.js';
import { definePaymentModels } from './payments.models.js';
import { paymentsRoutes } from './payments.router.js';
import { createPaymentsService } from './payments.service.js';

export type { PaymentsService } from './payments.service.js';
export { verifyWebhookSignature } from './payments.service.js';

/** Payments: checkout through a provider (the sandbox here), signed webhooks, refunds of late payments. */
export function createPaymentsModule(deps: {
  sequelize: Sequelize;
  redis: Redis;
  lockKey: (orderId: string) => string;
  orders: OrdersService;
  idempotency: Idempotency;
  webhookSecret: string;
  logger: Logger;
}) {
  const sandbox = createSandboxProvider();
  const providers = new Map<string, PaymentProvider>([[sandbox.name, sandbox]]);
  const service = createPaymentsService({ ...deps, models: definePaymentModels(deps.sequelize), providers });
  return { service, routes: paymentsRoutes({ payments: service, idempotency: deps.idempotency }) };
}
