import { Id, IsoDateTime } from './common.js';
import { CancelReason, OrderStatus } from './orders.js';
import { z } from './zod.js';

/** The most product ids one `product:watch` may name. */
export const MAX_WATCHED_PER_CALL = 100;

export const ProductWatchPayload = z.object({ productIds: z.array(Id).min(1).max(MAX_WATCHED_PER_CALL) }).strict();
export type ProductWatchPayload = z.infer<typeof ProductWatchPayload>;

export const StockEvent = z.object({
  productId: Id,
  stock: z.number().int().min(0),
  /** Grows with every change of this product; a client keeps the highest it has seen. */
  seq: z.number().int().min(0),
  at: IsoDateTime,
});
export type StockEvent = z.infer<typeof StockEvent>;

export const OrderUpdatedEvent = z.object({
  orderId: Id,
  status: OrderStatus,
  expiresAt: IsoDateTime,
  serverTime: IsoDateTime,
  cancelReason: CancelReason.optional(),
});
export type OrderUpdatedEvent = z.infer<typeof OrderUpdatedEvent>;

export type WatchAck = { ok: true; stock: Record<string, number> } | { ok: false; error: string };
export type UnwatchAck = { ok: true } | { ok: false; error: string };

/** Events the server emits to clients. */
export interface ServerToClientEvents {
  stock: (event: StockEvent) => void;
  'order:updated': (event: OrderUpdatedEvent) => void;
}

/** Events clients emit; payloads are `unknown` until the handler parses them. */
export interface ClientToServerEvents {
  'product:watch': (payload: unknown, ack?: (answer: WatchAck) => void) => void;
  'product:unwatch': (payload: unknown, ack?: (answer: UnwatchAck) => void) => void;
}

export type InterServerEvents = Record<string, never>;

/** What the realtime server knows about a socket after its handshake. */
export interface SocketData {
  userId: string | null;
  role: 'customer' | 'admin' | null;
}

/** The one message a refused handshake carries (`connect_error`). */
export const UNAUTHORIZED_MESSAGE = 'unauthorized';
