import { Id, IsoDateTime } from './common.js';
import { CancelReason, OrderStatus } from './orders.js';
import { z } from './zod.js';

/*
 * The realtime channel (Socket.IO v4, path `/socket.io`), shared by the API (which emits through
 * Redis), the realtime server (which holds the sockets) and the web client.
 *
 * Reconnecting: a reconnected socket is a new socket. The server puts a signed-in socket back in
 * its user's room at the handshake; product rooms are the client's to rejoin, so a client emits
 * `product:watch` again on every `connect` and starts over from the ack's `stock` and `seq`.
 * Order countdowns are re-read with `GET /api/orders` (events sent while a socket was away are
 * not replayed).
 */

/** The most product ids one `product:watch` may name. */
export const MAX_WATCHED_PER_CALL = 100;
/** The most products one connection may watch at once; a watch beyond it is refused. */
export const MAX_WATCHED_PER_SOCKET = 500;

/** Every socket of one signed-in user; `order:updated` goes here and nowhere else. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Every socket watching one product's stock; `stock` goes here. */
export function productRoom(productId: string): string {
  return `product:${productId}`;
}

export const ProductWatchPayload = z.object({ productIds: z.array(Id).min(1).max(MAX_WATCHED_PER_CALL) }).strict();
export type ProductWatchPayload = z.infer<typeof ProductWatchPayload>;

export const StockEvent = z.object({
  productId: Id,
  stock: z.number().int().min(0),
  /**
   * Grows with every change of this product, across every API and realtime process; a client keeps
   * the highest it has seen and drops an event whose seq is not above it (bursts are coalesced, so
   * seq may skip values a client never needed).
   */
  seq: z.number().int().min(0),
  /** When the server read this value (the server's clock). */
  at: IsoDateTime,
});
export type StockEvent = z.infer<typeof StockEvent>;

/**
 * Sent on every change of one of the user's orders. Events may come twice and, across processes,
 * out of order: an order leaves PENDING_PAYMENT once, so a client ignores PENDING_PAYMENT after PAID
 * or CANCELLED. The countdown is `expiresAt - serverTime`, whatever the client's clock says.
 */
export const OrderUpdatedEvent = z.object({
  orderId: Id,
  status: OrderStatus,
  expiresAt: IsoDateTime,
  serverTime: IsoDateTime,
  cancelReason: CancelReason.optional(),
});
export type OrderUpdatedEvent = z.infer<typeof OrderUpdatedEvent>;

/**
 * The current stock of some products with the seq it is at least as new as: a client takes
 * `stock[id]` and then applies only `stock` events whose seq is above `seq[id]`. Ids that name no
 * product are left out.
 */
export const StockSnapshot = z
  .object({
    stock: z
      .record(z.string(), z.number().int().min(0))
      .openapi({ example: { '0190a5d0-ac96-7000-8000-000000000001': 7 } }),
    seq: z
      .record(z.string(), z.number().int().min(0))
      .openapi({ example: { '0190a5d0-ac96-7000-8000-000000000001': 1763974800042 } }),
  })
  .openapi('StockSnapshot');
export type StockSnapshot = z.infer<typeof StockSnapshot>;

/** `GET /api/stock?productIds=a,b,c`: up to 100 comma-separated ids (repeats count once). */
export const StockQuery = z
  .object({
    productIds: z
      .string()
      .openapi({
        description: `Comma-separated product ids, at most ${MAX_WATCHED_PER_CALL}`,
        example: '0190a5d0-ac96-7000-8000-000000000001,0190a5d0-ac96-7000-8000-000000000002',
      })
      .transform((value) => [...new Set(value.split(',').map((id) => id.trim()))])
      .pipe(z.array(Id).min(1).max(MAX_WATCHED_PER_CALL)),
  })
  .strict();
export type StockQuery = z.infer<typeof StockQuery>;

export type WatchAck =
  { ok: true; stock: Record<string, number>; seq: Record<string, number> } | { ok: false; error: string };
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
/** The `{ok: false, error}` of an event refused by the per-socket rate limit. */
export const RATE_LIMITED_MESSAGE = 'rate_limited: too many events; slow down';
