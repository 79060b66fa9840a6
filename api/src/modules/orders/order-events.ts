import type { OrderEventPayload } from '../../platform/events.js';
import type { OrderRecord } from './orders.repository.js';

/** What every order event carries (see OrderEventPayload): enough for realtime, email and logs. */
export const orderEventPayload = (order: OrderRecord): OrderEventPayload => ({
  orderId: order.id,
  userId: order.userId,
  status: order.status,
  total: order.total,
  currency: order.currency,
  items: order.items,
  expiresAt: order.expiresAt.toISOString(),
  ...(order.cancelReason ? { cancelReason: order.cancelReason } : {}),
});
