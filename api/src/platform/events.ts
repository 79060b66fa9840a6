import { EventEmitter } from 'node:events';
import type { CancelReason, OrderLine, OrderStatus } from '@vitrine/contracts';
import type { Logger } from './logger.js';

/** What every order event carries: enough for realtime, email and logs without another query. */
export interface OrderEventPayload {
  orderId: string;
  userId: string;
  status: OrderStatus;
  total: number;
  currency: string;
  items: OrderLine[];
  expiresAt: string;
  cancelReason?: CancelReason;
}

/**
 * Domain events. Services write them to the outbox inside the transaction that caused them; the
 * outbox publishes them here only after commit. Listeners are side effects (cache invalidation,
 * realtime fan-out, email): a failing listener is logged and never undoes the change.
 */
export interface DomainEvents {
  /** A customer account was created (published after its insert committed; welcome email). */
  'account.registered': { userId: string; email: string; name: string };
  'product.changed': { productId: string };
  'stock.changed': { productId: string; available: number };
  'order.placed': OrderEventPayload;
  'order.paid': OrderEventPayload;
  'order.cancelled': OrderEventPayload;
}

export type DomainEventName = keyof DomainEvents;

export interface EventBus {
  publish<N extends DomainEventName>(name: N, payload: DomainEvents[N]): void;
  subscribe<N extends DomainEventName>(name: N, listener: (payload: DomainEvents[N]) => Promise<void> | void): void;
}

export function createEventBus(logger: Logger): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(50);
  return {
    publish(name, payload) {
      emitter.emit(name, payload);
    },
    subscribe(name, listener) {
      emitter.on(name, (payload: DomainEvents[typeof name]) => {
        Promise.resolve()
          .then(() => listener(payload))
          .catch((error: unknown) =>
            logger.error('domain event listener failed', { err: error, event: { action: name } }),
          );
      });
    },
  };
}
