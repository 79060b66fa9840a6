import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  createAddress,
  createProduct,
  loginUser,
  registerUser,
  type SignedInUser,
} from '../../../test/support/factories.js';
import { assertStockConserved } from '../../../test/support/stock-invariant.js';

const SECRET = 'webhook-secret-for-tests-0123456789';
const sign = (raw: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe('sandbox payment webhook', () => {
  let api: TestApi;
  let admin: SignedInUser;

  before(async () => {
    api = await startTestApi({ ...ADMIN_ENV, PAYMENT_WEBHOOK_SECRET: SECRET, ORDER_PAYMENT_TTL_MS: '1500' });
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(() => api.stop());

  async function placeOrder() {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 5, price: 25000 });
    const order = (
      await request(api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity: 2 }], addressId })
        .expect(201)
    ).body as { id: string; total: number; expiresAt: string };
    return { shopper, productId, order };
  }

  const deliver = (event: object, signature?: string) => {
    const raw = JSON.stringify(event);
    return request(api.url)
      .post('/api/payments/webhook/sandbox')
      .set('Content-Type', 'application/json')
      .set('X-Signature', signature ?? sign(raw))
      .send(raw);
  };
  const orderOf = async (shopper: SignedInUser, id: string) =>
    (await request(api.url).get(`/api/orders/${id}`).set(bearer(shopper)).expect(200)).body;

  it('when a signed payment.succeeded arrives with the right amount, then the order is PAID; a replay changes nothing', async () => {
    const { shopper, productId, order } = await placeOrder();
    const event = { id: 'evt_paid_1', type: 'payment.succeeded', data: { orderId: order.id, amount: order.total } };
    const first = await deliver(event).expect(200);
    assert.equal(first.body.outcome, 'paid');
    const paid = await orderOf(shopper, order.id);
    assert.equal(paid.status, 'PAID');

    const replay = await deliver(event).expect(200);
    assert.equal(replay.body.outcome, 'duplicate');
    assert.equal((await orderOf(shopper, order.id)).paidAt, paid.paidAt);
    const payments = await api.services.payments.paymentsOf(order.id);
    assert.equal(payments.length, 1);
    await assertStockConserved(api.sequelize, productId);
  });

  it('when the signature is missing, wrong or made with another key, then 401 and nothing changes', async () => {
    const { shopper, order } = await placeOrder();
    const event = { id: 'evt_forged', type: 'payment.succeeded', data: { orderId: order.id, amount: order.total } };
    const raw = JSON.stringify(event);
    for (const signature of ['', 'sha256=00', sign(raw, 'another-secret-entirely-000000'), sign(`${raw} `)]) {
      const refused = await deliver(event, signature).expect(401);
      assert.equal(refused.body.error.code, 'UNAUTHENTICATED');
    }
    assert.equal((await orderOf(shopper, order.id)).status, 'PENDING_PAYMENT');
    // The forged event id was not consumed: the genuine delivery still works.
    await deliver(event).expect(200);
  });

  it('when the amount does not match the order total, then 400 and the order stays pending', async () => {
    const { shopper, order } = await placeOrder();
    const refused = await deliver({
      id: 'evt_wrong_amount',
      type: 'payment.succeeded',
      data: { orderId: order.id, amount: order.total - 1 },
    }).expect(400);
    assert.equal(refused.body.error.code, 'VALIDATION_FAILED');
    assert.equal((await orderOf(shopper, order.id)).status, 'PENDING_PAYMENT');
  });

  it('when payment.failed arrives, then the order stays pending', async () => {
    const { shopper, order } = await placeOrder();
    await deliver({
      id: 'evt_failed',
      type: 'payment.failed',
      data: { orderId: order.id, amount: order.total },
    }).expect(200);
    assert.equal((await orderOf(shopper, order.id)).status, 'PENDING_PAYMENT');
  });

  it('when the payment arrives after the order expired, then it stays cancelled and the payment is refunded', async () => {
    const { shopper, productId, order } = await placeOrder();
    await sleep(Date.parse(order.expiresAt) - Date.now() + 1_500);
    assert.equal((await orderOf(shopper, order.id)).status, 'CANCELLED');

    const late = await deliver({
      id: 'evt_late',
      type: 'payment.succeeded',
      data: { orderId: order.id, amount: order.total },
    }).expect(200);
    assert.equal(late.body.outcome, 'refund-required');
    const after = await orderOf(shopper, order.id);
    assert.equal(after.status, 'CANCELLED');
    assert.equal(after.cancelReason, 'PAYMENT_TIMEOUT');
    await sleep(100);
    const payments = await api.services.payments.paymentsOf(order.id);
    assert.deepEqual(
      payments.map((payment) => payment.status),
      ['REFUNDED'],
    );
    const book = await assertStockConserved(api.sequelize, productId);
    assert.equal(book.sold, 0);
  });

  it('when the body is not a valid event, then 400', async () => {
    await deliver({ id: 'evt_x', type: 'payment.exploded', data: {} }).expect(400);
  });
});
