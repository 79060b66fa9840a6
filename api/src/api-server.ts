import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { accessTokenKey, createAccessTokenVerifier } from '@vitrine/contracts/access-token';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createAccountsModule } from './modules/accounts/index.js';
import { createAddressesModule } from './modules/addresses/index.js';
import { createCatalogModule, type CatalogService } from './modules/catalog/index.js';
import { createInventoryModule } from './modules/inventory/index.js';
import { createOrdersModule, type OrdersService } from './modules/orders/index.js';
import { createNotificationsModule } from './modules/notifications/index.js';
import { createPaymentsModule, type PaymentsService } from './modules/payments/index.js';
import { createRealtimeBridge } from './modules/realtime-bridge/index.js';
import { createReviewsModule } from './modules/reviews/index.js';
import { healthRoutes } from './modules/health/health.router.js';
import { connectDatabase } from './platform/database.js';
import { createEventBus, type EventBus } from './platform/events.js';
import { createIdempotency } from './platform/idempotency.js';
import { createOutbox } from './platform/outbox.js';
import { generalRateLimit, loginRateLimits } from './platform/http/rate-limits.js';
import { buildOpenApiDocument } from './platform/http/openapi.js';
import type { Route } from './platform/http/route.js';
import type { Logger } from './platform/logger.js';
import { migrateToLatest } from './platform/migrator.js';
import { createRedis, redisKeys } from './platform/redis.js';

export const API_VERSION = '0.1.0';

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  app: Express;
  routes: readonly Route[];
  sequelize: Sequelize;
  redis: Redis;
  events: EventBus;
  services: { catalog: CatalogService; orders: OrdersService; payments: PaymentsService };
  /** Stops accepting, lets in-flight requests finish, then closes the pools. */
  close(): Promise<void>;
}

/** Connects, migrates, wires the modules and listens: everything `main.ts` and the tests share. */
export async function startApi(config: Readonly<Config>, logger: Logger): Promise<RunningApi> {
  const keys = redisKeys(config.redis.keyPrefix);
  const redis = createRedis(config.redis.url, logger, 'api');
  const sequelize = await connectDatabase(config.database.url, logger);

  if (config.database.migrateOnStart) {
    const applied = await migrateToLatest(sequelize, redis, keys.lock('migrations'), logger);
    if (applied.length > 0) logger.info('migrations applied', { migrations: applied });
  }

  const key = accessTokenKey(config.auth.jwtSecret);
  const events = createEventBus(logger);
  const outbox = createOutbox({ sequelize, events, logger });
  const accounts = createAccountsModule({
    sequelize,
    outbox,
    logger,
    options: {
      accessTokenKey: key,
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlDays: config.auth.refreshTokenTtlDays,
      cookieSecure: config.auth.cookieSecure,
    },
    loginRateLimits: loginRateLimits(redis, keys, logger, config.rateLimit),
  });
  const addresses = createAddressesModule({ sequelize });
  const idempotency = createIdempotency(sequelize);
  const inventory = createInventoryModule({
    sequelize,
    redis,
    keyPrefix: config.redis.keyPrefix,
    outbox,
    logger,
    reservationTtlMs: config.orders.paymentTtlMs + 3_600_000,
  });
  const catalog = createCatalogModule({
    sequelize,
    redis,
    keys,
    inventory: inventory.service,
    events,
    logger,
    options: { cacheEnabled: config.catalog.cacheEnabled },
  });
  const orders = createOrdersModule({
    sequelize,
    redis,
    inventory: inventory.service,
    addresses: addresses.service,
    catalog: catalog.service,
    outbox,
    idempotency,
    queueOptions: { redisUrl: config.redis.url, prefix: keys.bull },
    sweeperLockKey: keys.lock('orders-expiry-sweeper'),
    paymentTtlMs: config.orders.paymentTtlMs,
    logger,
  });
  const payments = createPaymentsModule({
    sequelize,
    redis,
    lockKey: (orderId) => keys.lock(`order-payment-${orderId}`),
    orders: orders.service,
    idempotency,
    webhookSecret: config.payments.webhookSecret,
    logger,
  });
  const reviews = createReviewsModule({ sequelize, catalog: catalog.service, orders: orders.service, logger });
  const notifications = createNotificationsModule({
    sequelize,
    events,
    accounts: accounts.service,
    mail: config.mail,
    queueOptions: { redisUrl: config.redis.url, prefix: keys.bull },
    logger,
  });
  notifications.useOrderLookup((orderId) => orders.service.findOrder(orderId));
  const realtimeBridge = createRealtimeBridge({
    redis,
    keyPrefix: config.redis.keyPrefix,
    events,
    inventory: inventory.service,
    logger,
  });
  if (config.auth.admin) await accounts.service.ensureAdmin(config.auth.admin);
  realtimeBridge.start();
  if (config.runWorkers) {
    outbox.startPolling();
    await orders.expiry.start();
    await notifications.start();
  }

  const routes = [
    ...healthRoutes({ sequelize, redis }),
    ...accounts.routes,
    ...addresses.routes,
    ...catalog.routes,
    ...orders.routes,
    ...payments.routes,
    ...reviews.routes,
    ...notifications.routes,
    ...realtimeBridge.routes,
  ];
  const app = createApp({
    config,
    logger,
    verifyAccessToken: createAccessTokenVerifier(key),
    generalRateLimit: generalRateLimit(redis, keys, logger, config.rateLimit),
    routes,
    openApiDocument: buildOpenApiDocument(routes, API_VERSION),
  });

  const server = app.listen(config.port);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      await stopped;
      await orders.expiry.stop();
      await notifications.stop();
      await realtimeBridge.stop();
      await outbox.stop();
      await sequelize.close();
      redis.disconnect();
    })());

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    app,
    routes,
    sequelize,
    redis,
    events,
    services: { catalog: catalog.service, orders: orders.service, payments: payments.service },
    close,
  };
}
