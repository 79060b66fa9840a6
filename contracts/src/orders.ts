import { Id, IsoDateTime, PageQuery } from './common.js';
import { z } from './zod.js';

export const OrderStatus = z.enum(['PENDING_PAYMENT', 'PAID', 'CANCELLED']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const CancelReason = z.enum(['USER', 'ADMIN', 'PAYMENT_TIMEOUT']);
export type CancelReason = z.infer<typeof CancelReason>;

/** Bounds that keep one order reasonable; a real shop would tune them per product. */
export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QUANTITY = 100;

export const PlaceOrderBody = z
  .object({
    items: z
      .array(
        z
          .object({
            productId: Id,
            quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_ORDER_LINES),
    addressId: Id,
  })
  .strict()
  .openapi('PlaceOrderBody');
export type PlaceOrderBody = z.infer<typeof PlaceOrderBody>;

export const PayOrderBody = z
  .object({
    method: z.literal('sandbox'),
    token: z.string().min(1).max(200).openapi({ example: 'tok_ok' }),
  })
  .strict()
  .openapi('PayOrderBody');
export type PayOrderBody = z.infer<typeof PayOrderBody>;

export const OrderLine = z.object({
  productId: Id,
  name: z.string(),
  price: z.number().int(),
  quantity: z.number().int(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const OrderAddress = z.object({
  recipient: z.string(),
  phone: z.string(),
  line1: z.string(),
  line2: z.string().nullable(),
  city: z.string(),
  postalCode: z.string(),
  country: z.string(),
});
export type OrderAddress = z.infer<typeof OrderAddress>;

export const Order = z
  .object({
    id: Id,
    userId: Id,
    status: OrderStatus,
    items: z.array(OrderLine),
    total: z.number().int(),
    currency: z.string(),
    address: OrderAddress,
    expiresAt: IsoDateTime,
    serverTime: IsoDateTime,
    createdAt: IsoDateTime,
    paidAt: IsoDateTime.optional(),
    cancelledAt: IsoDateTime.optional(),
    cancelReason: CancelReason.optional(),
  })
  .openapi('Order');
export type Order = z.infer<typeof Order>;

export const OrderList = z.object({ items: z.array(Order) }).openapi('OrderList');
export type OrderList = z.infer<typeof OrderList>;

export const AdminOrderQuery = PageQuery.extend({ status: OrderStatus.optional() }).strict();
export type AdminOrderQuery = z.infer<typeof AdminOrderQuery>;

export const AdminOrderList = z.object({ items: z.array(Order), total: z.number().int() }).openapi('AdminOrderList');
export type AdminOrderList = z.infer<typeof AdminOrderList>;

/** The `Idempotency-Key` header (IETF draft): any client-chosen string, e.g. a UUID. */
export const IdempotencyKey = z.string().min(1).max(255);
