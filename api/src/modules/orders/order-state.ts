import type { CancelReason, OrderStatus } from '@vitrine/contracts';
import { AppError } from '../../platform/errors.js';

/** What may happen to an order, and the status it leads to. */
export type OrderTransition = { type: 'pay' } | { type: 'cancel'; reason: CancelReason };

/**
 * PENDING_PAYMENT → PAID | CANCELLED(USER | ADMIN | PAYMENT_TIMEOUT); PAID and CANCELLED are final.
 * Answers the next status, or the error the contract names for a move that is not allowed.
 */
export function transition(from: OrderStatus, move: OrderTransition, cancelledReason?: CancelReason): OrderStatus {
  switch (from) {
    case 'PENDING_PAYMENT':
      return move.type === 'pay' ? 'PAID' : 'CANCELLED';
    case 'PAID':
      throw new AppError('ORDER_NOT_PENDING', 'This order is already paid');
    case 'CANCELLED':
      if (move.type === 'pay' && cancelledReason === 'PAYMENT_TIMEOUT') {
        throw new AppError('ORDER_EXPIRED', 'The payment window of this order has closed');
      }
      throw new AppError('ORDER_NOT_PENDING', 'This order is cancelled');
  }
}
