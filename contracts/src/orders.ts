import { z } from './zod.js';

export const OrderStatus = z.enum(['PENDING_PAYMENT', 'PAID', 'CANCELLED']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const CancelReason = z.enum(['USER', 'ADMIN', 'PAYMENT_TIMEOUT']);
export type CancelReason = z.infer<typeof CancelReason>;
