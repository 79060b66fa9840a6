import { Id } from './common.js';
import { z } from './zod.js';

/** What a payment provider posts to `POST /api/payments/webhook/:provider`, signed with `X-Signature`. */
export const PaymentWebhookEvent = z
  .object({
    id: z.string().min(1).max(100),
    type: z.enum(['payment.succeeded', 'payment.failed']),
    data: z.object({ orderId: Id, amount: z.number().int().min(0) }).passthrough(),
  })
  .passthrough()
  .openapi('PaymentWebhookEvent');
export type PaymentWebhookEvent = z.infer<typeof PaymentWebhookEvent>;

export const WebhookReceipt = z
  .object({
    received: z.literal(true),
    outcome: z.enum(['paid', 'failed-recorded', 'refund-required', 'duplicate', 'ignored']),
  })
  .openapi('WebhookReceipt');
export type WebhookReceipt = z.infer<typeof WebhookReceipt>;

export const ProviderParams = z.object({ provider: z.string().min(1).max(40) }).strict();
export type ProviderParams = z.infer<typeof ProviderParams>;
