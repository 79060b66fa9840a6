import { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';

/**
 * In-process domain events, published only after the transaction that caused them committed
 * (services call `publish` from `transaction.afterCommit`). Listeners are side effects: cache
 * invalidation, realtime fan-out, email; a failing listener is logged and never undoes the change.
 */
export interface DomainEvents {
  'product.changed': { productId: string };
  'stock.changed': { productId: string; available: number };
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
          .catch((error: unknown) => logger.error('domain event listener failed', { err: error, event: { action: name } }));
      });
    },
  };
}
