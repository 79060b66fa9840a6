import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Order, PayOrderBody, PaymentWebhookEvent, WebhookReceipt } from '@vitrine/contracts';
import type { Redis } from 'ioredis';
import { UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import { AppError, notFound, unauthenticated } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/identity.js';
import type { Logger } from '../../platform/logger.js';
import { withLock } from '../../platform/redis-lock.js';
import type { OrdersService } from '../orders/index.js';
import type { PaymentProvider } from './payment-provider.js';
import type { PaymentModels, PaymentSource, PaymentStatus } from './payments.models.js';

/** Checks `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` in constant time. */
export function verifyWebhookSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  const presented = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '')?.[1];
  if (!presented) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(presented, 'hex'), expected);
}

const isRefusedTransition = (error: unknown) =>
  error instanceof AppError && (error.code === 'ORDER_EXPIRED' || error.code === 'ORDER_NOT_PENDING');

/**
 * Payments: charging an order through a provider (checkout) or accepting a provider's signed
 * webhook. The order's move to PAID and the payment record are one transaction; a payment that
 * arrives for an order that already expired never revives it: it is recorded and refunded.
 */
export function createPaymentsService(deps: {
  sequelize: Sequelize;
  models: PaymentModels;
  orders: OrdersService;
  providers: ReadonlyMap<string, PaymentProvider>;
  redis: Redis;
  lockKey: (orderId: string) => string;
  webhookSecret: string;
  logger: Logger;
}) {
  const { sequelize, models, orders, providers, logger } = deps;

  async function recordPayment(
    payment: {
      orderId: string;
      provider: string;
      status: PaymentStatus;
      amount: number;
      reference: string | null;
      source: PaymentSource;
    },
    transaction?: Transaction,
  ): Promise<string> {
    const id = uuidv7();
    await models.Payment.create(
      {
        id,
        orderId: payment.orderId,
        provider: payment.provider,
        status: payment.status,
        amount: payment.amount,
        providerReference: payment.reference,
        source: payment.source,
      },
      { transaction },
    );
    return id;
  }

  /** A payment that came too late: kept on record, refunded through its provider. */
  async function refundLatePayment(
    provider: PaymentProvider,
    payment: { orderId: string; amount: number; reference: string | null; source: PaymentSource },
    transaction?: Transaction,
  ): Promise<void> {
    const id = await recordPayment({ ...payment, provider: provider.name, status: 'REFUND_REQUIRED' }, transaction);
    const refund = async () => {
      if (payment.reference) await provider.refund({ reference: payment.reference, amount: payment.amount });
      await models.Payment.update({ status: 'REFUNDED' }, { where: { id } });
      logger.warn('late payment refunded', { order: { id: payment.orderId }, payment: { id } });
    };
    // Refund only once the record of it is durable; if the refund fails, the row still says REFUND_REQUIRED.
    if (!transaction) return refund();
    // Not awaited: commit hooks run while the transaction still holds its connection (and, on
    // SQLite, the write turn); the refund is its own step once the record is durable.
    transaction.afterCommit(() => {
      refund().catch((error: unknown) => {
        logger.error('refund failed; the payment stays REFUND_REQUIRED', { err: error });
      });
    });
  }

  return {
    /** Checkout: charge the order's total with the shopper's token and mark it PAID. */
    async payOrder(identity: Identity, orderId: string, body: PayOrderBody): Promise<Order> {
      const order = await orders.findOrder(orderId);
      if (!order || order.userId !== identity.userId) throw notFound('Order');
      const provider = providers.get(body.method);
      if (!provider) throw new AppError('VALIDATION_FAILED', `Unknown payment method ${body.method}`);

      // One payment attempt per order at a time, so two clicks never charge twice.
      return withLock(deps.redis, deps.lockKey(orderId), { ttlMs: 30_000, waitMs: 10_000 }, async () => {
        const current = await orders.findOrder(orderId);
        if (!current) throw notFound('Order');
        // Refused before charging: ORDER_EXPIRED past the deadline, ORDER_NOT_PENDING once settled.
        orders.assertPayable(current, new Date());
        const charge = await provider.charge({
          orderId,
          amount: current.total,
          currency: current.currency,
          token: body.token,
        });
        const payment = { orderId, provider: provider.name, amount: current.total, source: 'checkout' as const };
        if (charge.status === 'declined') {
          await recordPayment({ ...payment, status: 'DECLINED', reference: null });
          throw new AppError('PAYMENT_DECLINED', 'The payment was declined; the order is still waiting for payment', {
            reason: charge.reason,
          });
        }
        try {
          return await orders.markPaid(orderId, async (_order, transaction) => {
            await recordPayment({ ...payment, status: 'SUCCEEDED', reference: charge.reference }, transaction);
          });
        } catch (error) {
          // The deadline passed (or the order was cancelled) between the charge and the update.
          if (isRefusedTransition(error))
            await refundLatePayment(provider, { ...payment, reference: charge.reference });
          throw error;
        }
      });
    },

    /** A provider's webhook: signed, replay-safe by event id, amount-checked. */
    async acceptWebhook(
      providerName: string,
      rawBody: Buffer | undefined,
      signature: string | undefined,
      parseEvent: () => PaymentWebhookEvent,
    ): Promise<WebhookReceipt> {
      const provider = providers.get(providerName);
      if (!provider) throw notFound('Payment provider');
      if (!rawBody || !verifyWebhookSignature(rawBody, signature, deps.webhookSecret)) {
        throw unauthenticated('Invalid webhook signature');
      }
      return this.applyWebhookEvent(provider, parseEvent());
    },

    async applyWebhookEvent(provider: PaymentProvider, event: PaymentWebhookEvent): Promise<WebhookReceipt> {
      const seen = await models.WebhookEvent.findOne({ where: { provider: provider.name, eventId: event.id } });
      if (seen) return { received: true, outcome: 'duplicate' };
      const order = await orders.findOrder(event.data.orderId);
      const remember = (outcome: WebhookReceipt['outcome'], transaction?: Transaction) =>
        models.WebhookEvent.create(
          { provider: provider.name, eventId: event.id, orderId: event.data.orderId, outcome },
          { transaction },
        );
      const once = async (work: () => Promise<WebhookReceipt>): Promise<WebhookReceipt> => {
        try {
          return await work();
        } catch (error) {
          // The same event delivered twice at once: the event's primary key lets one through.
          if (error instanceof UniqueConstraintError) return { received: true, outcome: 'duplicate' };
          throw error;
        }
      };

      if (!order) {
        logger.warn('webhook for an unknown order ignored', { order: { id: event.data.orderId } });
        return once(async () => (await remember('ignored'), { received: true, outcome: 'ignored' }));
      }
      if (event.type === 'payment.failed') {
        return once(() =>
          sequelize.transaction(async (transaction) => {
            await remember('failed-recorded', transaction);
            await recordPayment(
              {
                orderId: order.id,
                provider: provider.name,
                status: 'FAILED',
                amount: event.data.amount,
                reference: event.id,
                source: 'webhook',
              },
              transaction,
            );
            return { received: true, outcome: 'failed-recorded' };
          }),
        );
      }
      if (event.data.amount !== order.total) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Amount ${event.data.amount} does not match the order total ${order.total}`,
          {
            issues: [{ field: 'data.amount', message: 'does not match the order total' }],
          },
        );
      }
      const payment = { orderId: order.id, amount: order.total, reference: event.id, source: 'webhook' as const };
      return once(async () => {
        try {
          await orders.markPaid(order.id, async (_order, transaction) => {
            await remember('paid', transaction);
            await recordPayment({ ...payment, provider: provider.name, status: 'SUCCEEDED' }, transaction);
          });
          return { received: true, outcome: 'paid' };
        } catch (error) {
          if (!isRefusedTransition(error)) throw error;
        }
        const latest = await orders.findOrder(order.id);
        if (latest?.status === 'PAID')
          return once(async () => (await remember('duplicate'), { received: true, outcome: 'duplicate' }));
        return sequelize.transaction(async (transaction) => {
          await remember('refund-required', transaction);
          await refundLatePayment(provider, payment, transaction);
          return { received: true, outcome: 'refund-required' } as const;
        });
      });
    },

    /** Payments recorded for an order (admin views and tests). */
    async paymentsOf(orderId: string) {
      const rows = await models.Payment.findAll({ where: { orderId }, order: [['createdAt', 'ASC']] });
      return rows.map((row) => ({ id: row.id, status: row.status, amount: Number(row.amount), source: row.source }));
    },
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
