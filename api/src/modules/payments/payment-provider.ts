import { randomUUID } from 'node:crypto';

export type ChargeResult = { status: 'succeeded'; reference: string } | { status: 'declined'; reason: string };

/** What Vitrine needs of a payment provider. */
export interface PaymentProvider {
  readonly name: string;
  charge(request: { orderId: string; amount: number; currency: string; token: string }): Promise<ChargeResult>;
  refund(request: { reference: string; amount: number }): Promise<{ status: 'refunded' }>;
}

/** The sandbox: `tok_ok` pays, `tok_decline` (and any other token) is declined. No network. */
export function createSandboxProvider(): PaymentProvider {
  return {
    name: 'sandbox',
    charge({ token }) {
      if (token === 'tok_ok') return Promise.resolve({ status: 'succeeded', reference: `sbx_ch_${randomUUID()}` });
      return Promise.resolve({
        status: 'declined',
        reason: token === 'tok_decline' ? 'card_declined' : 'invalid_token',
      });
    },
    refund() {
      return Promise.resolve({ status: 'refunded' });
    },
  };
}
