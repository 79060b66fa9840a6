import { IdParams, Order, PayOrderBody, PaymentWebhookEvent, ProviderParams, WebhookReceipt } from '@vitrine/contracts';
import type { Idempotency } from '../../platform/idempotency.js';
import { defineRoute, type Route } from '../../platform/http/route.js';
import { parseRequestPart } from '../../platform/http/validation.js';
import { idempotencyKeyOf } from '../orders/index.js';
import type { PaymentsService } from './payments.service.js';

export function paymentsRoutes(deps: { payments: PaymentsService; idempotency: Idempotency }): Route[] {
  const { payments, idempotency } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/orders/:id/pay',
      summary: 'Pay a pending order (its owner); the sandbox accepts tok_ok and declines tok_decline',
      tag: 'payments',
      access: 'user',
      request: { params: IdParams, body: PayOrderBody },
      responses: {
        200: { description: 'The order, PAID', schema: Order },
        402: { description: 'PAYMENT_DECLINED: the order stays pending' },
        404: { description: 'NOT_FOUND: no such order of yours' },
        409: { description: 'ORDER_EXPIRED, ORDER_NOT_PENDING or IDEMPOTENCY_IN_PROGRESS' },
        422: { description: 'IDEMPOTENCY_MISMATCH' },
      },
      async handle({ identity, params, body, req }) {
        return idempotency.run(
          { userId: identity.userId, scope: `orders.pay:${params.id}`, key: idempotencyKeyOf(req), body },
          async () => ({ status: 200, body: await payments.payOrder(identity, params.id, body) }),
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/payments/webhook/:provider',
      summary: 'Payment provider webhook, signed with X-Signature: sha256=<hex HMAC of the raw body>',
      tag: 'payments',
      access: 'public',
      request: { params: ProviderParams },
      responses: {
        200: { description: 'Accepted (replays change nothing)', schema: WebhookReceipt },
        400: { description: 'VALIDATION_FAILED: malformed event or an amount that does not match the order' },
        401: { description: 'UNAUTHENTICATED: bad signature' },
      },
      async handle({ params, req }) {
        // The signature is checked over the raw bytes before the body is trusted enough to parse.
        const receipt = await payments.acceptWebhook(params.provider, req.rawBody, req.get('x-signature'), () =>
          parseRequestPart(PaymentWebhookEvent, req.body, 'body'),
        );
        return { status: 200, body: receipt };
      },
    }),
  ];
}
