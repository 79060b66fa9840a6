import type { CancelReason, Order, PlaceOrderBody } from '@vitrine/contracts';
import type { Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import { AppError, notFound } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/identity.js';
import type { Logger } from '../../platform/logger.js';
import { currentTraceId } from '../../platform/trace-context.js';
import { normalizeLines } from '../inventory/index.js';
import { orderEventPayload } from './order-events.js';
import { createOrderPlacement, type OrderPlacementDeps } from './order-placement.js';
import { transition } from './order-state.js';
import type { OrderRecord } from './orders.repository.js';

/** Where expiry jobs are scheduled; implemented with Bull in orders.jobs.ts. */
export interface ExpiryScheduler {
  schedule(orderId: string, expiresAt: Date): Promise<void>;
  unschedule(orderId: string): Promise<void>;
}

export function toOrderDto(order: OrderRecord, now = new Date()): Order {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    items: order.items,
    total: order.total,
    currency: order.currency,
    address: order.address,
    expiresAt: order.expiresAt.toISOString(),
    serverTime: now.toISOString(),
    createdAt: order.createdAt.toISOString(),
    ...(order.paidAt ? { paidAt: order.paidAt.toISOString() } : {}),
    ...(order.cancelledAt ? { cancelledAt: order.cancelledAt.toISOString() } : {}),
    ...(order.cancelReason ? { cancelReason: order.cancelReason } : {}),
  };
}

/** Orders: placing (reserving stock), paying, cancelling and expiring, each change one transaction. */
export function createOrdersService(deps: OrderPlacementDeps & { logger: Logger }) {
  const { sequelize, repository, inventory, outbox, logger } = deps;
  let expiry: ExpiryScheduler | undefined;

  const placement = createOrderPlacement(deps);

  /**
   * Cancels the given orders that are still pending (for PAYMENT_TIMEOUT: only those past their
   * deadline), and, for expiry, up to `topUpTo` in all with other due orders that no other process is
   * expiring at that moment, in one transaction: one UPDATE for the orders, one per product for the
   * stock, so a wave of expiries costs a few statements, not a few per order. Each named order's
   * event carries its own trace (the request that placed it, through its job); the others the
   * batch's. Answers the orders it cancelled.
   */
  async function cancelPending(
    named: readonly { orderId: string; traceId?: string }[],
    reason: CancelReason,
    options: { topUpTo?: number; excluding?: ReadonlySet<string> } = {},
  ): Promise<OrderRecord[]> {
    const traceOf = new Map(named.map((order) => [order.orderId, order.traceId]));
    const cancelled = await sequelize.transaction(async (transaction) => {
      // Taken once the transaction has its connection, so cancelledAt is not earlier than the work.
      const now = new Date();
      const dueBy = reason === 'PAYMENT_TIMEOUT' ? now : undefined;
      // The named orders first (waiting for a payment that holds one), the others after, skipping
      // rows another transaction holds: only the first step ever waits, so no two expiries deadlock.
      const claimed =
        named.length > 0
          ? await repository.claimPending(
              named.map((order) => order.orderId),
              dueBy,
              transaction,
            )
          : [];
      const room = (options.topUpTo ?? 0) - claimed.length;
      if (dueBy && room > 0) {
        const mine = new Set(claimed.map((order) => order.id));
        const others = await repository.claimDue(dueBy, room + mine.size, [...(options.excluding ?? [])], transaction);
        claimed.push(...others.filter((order) => !mine.has(order.id)).slice(0, room));
      }
      if (claimed.length === 0) return [];
      await repository.markCancelled(
        claimed.map((order) => order.id),
        reason,
        now,
        transaction,
      );
      const won = claimed.map((order) => ({
        ...order,
        status: 'CANCELLED' as const,
        cancelledAt: now,
        cancelReason: reason,
      }));
      await outbox.recordMany(
        transaction,
        'order.cancelled',
        won.map((order) => ({ payload: orderEventPayload(order), traceId: traceOf.get(order.id) })),
      );
      // Last: the product rows stay locked only until the commit.
      await inventory.releaseForOrders(
        won.map((order) => ({ orderId: order.id, lines: order.items })),
        transaction,
      );
      return won;
    });
    if (reason !== 'PAYMENT_TIMEOUT') {
      for (const order of cancelled) await expiry?.unschedule(order.id).catch(() => undefined);
    }
    return cancelled;
  }

  /** Orders that failed to expire alone: left out of job batches' top-ups, so they do not fail every batch. */
  const unexpirable = new Set<string>();
  const MAX_UNEXPIRABLE = 1_000;

  function refuseTransition(order: OrderRecord, move: 'pay' | 'cancel', at: Date): never {
    if (move === 'pay' && order.status === 'PENDING_PAYMENT' && order.expiresAt <= at) {
      throw new AppError('ORDER_EXPIRED', 'The payment window of this order has closed');
    }
    transition(
      order.status,
      move === 'pay' ? { type: 'pay' } : { type: 'cancel', reason: 'USER' },
      order.cancelReason ?? undefined,
    );
    throw new AppError('ORDER_NOT_PENDING', 'This order is no longer pending');
  }

  return {
    useExpiryScheduler(scheduler: ExpiryScheduler): void {
      expiry = scheduler;
    },

    /** Reserves every line (Redis gate, then the database fence) and creates the order, all or nothing. */
    async placeOrder(userId: string, body: PlaceOrderBody): Promise<Order> {
      const lines = normalizeLines(body.items);
      const orderId = uuidv7();
      const gated = await inventory.reserveInCounters(orderId, lines);
      try {
        const order = await placement.place({
          orderId,
          userId,
          lines,
          addressId: body.addressId,
          traceId: currentTraceId(),
        });
        await expiry?.schedule(order.id, order.expiresAt).catch((error: unknown) => {
          logger.warn('expiry job not scheduled; the sweeper will expire the order', { err: error });
        });
        if (logger.isLevelEnabled('info')) {
          logger.info('order placed', { order: { id: order.id, total: order.total }, user: { id: userId } });
        }
        return toOrderDto(order);
      } catch (error) {
        if (gated) {
          const refused = error instanceof AppError && error.code === 'OUT_OF_STOCK';
          await inventory.abandonReservation(orderId, lines, refused);
        }
        throw error;
      }
    },

    /** The order if the caller may see it: its owner, or an admin; anyone else gets 404. */
    async getOrder(identity: Identity, orderId: string): Promise<Order> {
      return toOrderDto(await this.requireVisibleOrder(identity, orderId));
    },

    async requireVisibleOrder(identity: Identity, orderId: string): Promise<OrderRecord> {
      const order = await repository.findById(orderId);
      if (!order || (order.userId !== identity.userId && identity.role !== 'admin')) throw notFound('Order');
      return order;
    },

    async listOwnOrders(userId: string): Promise<Order[]> {
      const now = new Date();
      return (await repository.listForUser(userId, 200)).map((order) => toOrderDto(order, now));
    },

    async listAllOrders(filter: { status?: Order['status']; page: number; limit: number }) {
      const now = new Date();
      const found = await repository.listAll({
        status: filter.status,
        offset: (filter.page - 1) * filter.limit,
        limit: filter.limit,
      });
      return { items: found.items.map((order) => toOrderDto(order, now)), total: found.total };
    },

    /** Cancellation by its owner (USER) or an admin (ADMIN); refused once paid. */
    async cancelOrder(identity: Identity, orderId: string): Promise<Order> {
      const order = await this.requireVisibleOrder(identity, orderId);
      const reason: CancelReason = order.userId === identity.userId ? 'USER' : 'ADMIN';
      const [cancelled] = await cancelPending([{ orderId }], reason);
      if (!cancelled) refuseTransition((await repository.findById(orderId)) ?? order, 'cancel', new Date());
      return toOrderDto(cancelled);
    },

    /**
     * Marks a pending order PAID inside one transaction with whatever the payment module records
     * (`alsoInTransaction`). Refused with ORDER_EXPIRED past the deadline, ORDER_NOT_PENDING otherwise.
     */
    async markPaid(
      orderId: string,
      alsoInTransaction: (order: OrderRecord, transaction: Transaction) => Promise<void>,
    ): Promise<Order> {
      const paidAt = new Date();
      const paid = await sequelize.transaction(async (transaction) => {
        const changed = await repository.transitionFromPending(orderId, { status: 'PAID', paidAt }, transaction);
        const order = await repository.findById(orderId, transaction);
        if (!order) throw notFound('Order');
        if (!changed) refuseTransition(order, 'pay', paidAt);
        await alsoInTransaction(order, transaction);
        await outbox.record(transaction, 'order.paid', orderEventPayload(order));
        return order;
      });
      await expiry?.unschedule(orderId).catch(() => undefined);
      return toOrderDto(paid);
    },

    /** Throws the contract's refusal if the order cannot be paid at `at`. */
    assertPayable(order: OrderRecord, at: Date): void {
      if (order.status !== 'PENDING_PAYMENT' || order.expiresAt <= at) refuseTransition(order, 'pay', at);
    },

    /** For payments: the order as stored, whoever owns it (webhooks carry no user). */
    findOrder(orderId: string): Promise<OrderRecord | null> {
      return repository.findById(orderId);
    },

    /**
     * Expiry (jobs and the sweeper): cancels those given orders that are still pending and due,
     * topped up to `upTo` with any other due orders. So whichever expiry jobs fire first in a wave
     * of deadlines expire the whole wave, instead of each order waiting for its own job's turn.
     * If the batch fails, its orders are expired one by one, so an order that cannot be expired
     * fails only itself (answered in `failed`, and left out of later job batches' top-ups).
     */
    async expireUnpaidOrders(
      named: readonly { orderId: string; traceId?: string }[],
      options: { upTo?: number } = {},
    ): Promise<{ expired: number; failed: Map<string, unknown> }> {
      const failed = new Map<string, unknown>();
      let expired = 0;
      try {
        // Job batches leave the unexpirable out of their top-ups; the sweeper does not, so an order
        // that failed only for a passing reason (the database away) is still expired by it.
        const excluding = named.length > 0 ? unexpirable : undefined;
        expired = (await cancelPending(named, 'PAYMENT_TIMEOUT', { topUpTo: options.upTo, excluding })).length;
      } catch (error) {
        logger.warn('expiry batch failed; expiring its orders one by one', { err: error });
        const alone =
          named.length > 0
            ? named
            : (await repository.findDueIds(new Date(), options.upTo ?? 100)).map((orderId) => ({ orderId }));
        for (const order of alone) {
          try {
            expired += (await cancelPending([order], 'PAYMENT_TIMEOUT')).length;
            unexpirable.delete(order.orderId);
          } catch (cause) {
            failed.set(order.orderId, cause);
            if (unexpirable.size < MAX_UNEXPIRABLE) unexpirable.add(order.orderId);
            logger.error('unpaid order could not be expired', { err: cause, order: { id: order.orderId } });
          }
        }
      }
      if (expired > 0) logger.info('unpaid orders expired', { orders: { expired } });
      return { expired, failed };
    },

    findPendingOrders: (limit: number, afterId?: string) => repository.findPending(limit, afterId),
    hasPaidOrderWith: (userId: string, productId: string) => repository.hasPaidOrderWith(userId, productId),
  };
}
export type OrdersService = ReturnType<typeof createOrdersService>;
