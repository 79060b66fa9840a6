import type { Redis } from 'ioredis';
import type { EventBus } from '../../platform/events.js';
import type { Route } from '../../platform/http/route.js';
import type { Logger } from '../../platform/logger.js';
import type { InventoryService } from '../inventory/index.js';

/** Carries committed domain events to the realtime servers (Socket.IO over Redis). */
export function createRealtimeBridge(deps: {
  redis: Redis;
  keyPrefix: string;
  events: EventBus;
  inventory: InventoryService;
  logger: Logger;
}) {
  void deps;
  const routes: Route[] = [];
  return {
    routes,
    start(): void {},
    async stop(): Promise<void> {},
  };
}
