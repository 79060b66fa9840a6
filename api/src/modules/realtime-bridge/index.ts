import { userRoom, type OrderUpdatedEvent } from '@vitrine/contracts';
import type { Redis } from 'ioredis';
import type { DomainEvents, EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import type { InventoryService } from '../inventory/index.js';
import { realtimeBridgeRoutes } from './realtime-bridge.router.js';
import { createSocketEmitter } from './socket-emitter.js';
import { createStockFeed } from './stock-feed.js';

type OrderEventName = 'order.placed' | 'order.paid' | 'order.cancelled';
const ORDER_EVENTS: readonly OrderEventName[] = ['order.placed', 'order.paid', 'order.cancelled'];

/**
 * Carries committed domain events to the realtime servers (Socket.IO over Redis): `stock` to a
 * product's watchers, coalesced per product, and `order:updated` to the order's owner only. Also
 * serves `GET /api/stock`, the snapshot a watcher starts from.
 */
export function createRealtimeBridge(deps: {
  redis: Redis;
  keyPrefix: string;
  events: EventBus;
  inventory: InventoryService;
  logger: Logger;
}) {
  const { redis, keyPrefix, events, inventory, logger } = deps;
  const emitter = createSocketEmitter(redis, keyPrefix);
  const feed = createStockFeed({ redis, keyPrefix, emitter, logger });
  let started = false;
  let stopped = false;

  async function sendOrderUpdate(order: DomainEvents[OrderEventName]): Promise<void> {
    if (stopped) return;
    const event: OrderUpdatedEvent = {
      orderId: order.orderId,
      status: order.status,
      expiresAt: order.expiresAt,
      serverTime: new Date().toISOString(),
      ...(order.cancelReason ? { cancelReason: order.cancelReason } : {}),
    };
    await emitter.toRoom(userRoom(order.userId), 'order:updated', event);
  }

  return {
    routes: realtimeBridgeRoutes({ inventory, feed }),

    /** Subscribes to the event bus (once; the bus has no unsubscribe, so `stop` mutes instead). */
    start(): void {
      if (started) return;
      started = true;
      events.subscribe('stock.changed', ({ productId, available }) => {
        if (!stopped) feed.changed(productId, available);
      });
      for (const name of ORDER_EVENTS) {
        // A failure is logged by the bus; the client re-reads its orders when it reconnects.
        events.subscribe(name, (order) => sendOrderUpdate(order));
      }
    },

    /** Sends the stock changes still pending, then ignores further events. */
    async stop(): Promise<void> {
      stopped = true;
      await feed.stop();
    },
  };
}
