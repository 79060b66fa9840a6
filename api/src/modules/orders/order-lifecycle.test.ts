import assert from 'node:assert/strict';
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

const PAYMENT_TTL_MS = 2_500;

describe('paying, cancelling and expiring orders', () => {
  let api: TestApi;
  let admin: SignedInUser;

  before(async () => {
    api = await startTestApi({ ...ADMIN_ENV, ORDER_PAYMENT_TTL_MS: String(PAYMENT_TTL_MS) });
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(() => api.stop());

  const stockOf = async (productId: string) =>
    ((await request(api.url).get(`/api/products/${productId}`).expect(200)).body as { stock: number }).stock;

  async function placeOrder(options: { stock?: number; quantity?: number } = {}) {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: options.stock ?? 5, price: 10000 });
    const order = (
      await request(api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity: options.quantity ?? 2 }], addressId })
        .expect(201)
    ).body;
    return { shopper, addressId, productId, order };
  }

  const pay = (shopper: SignedInUser, orderId: string, token = 'tok_ok') =>
    request(api.url).post(`/api/orders/${orderId}/pay`).set(bearer(shopper)).send({ method: 'sandbox', token });

  it('when the shopper pays with tok_ok, then the order is PAID and its stock stays sold', async () => {
    const { shopper, productId, order } = await placeOrder();
    const paid = await pay(shopper, order.id).expect(200);
    assert.equal(paid.body.status, 'PAID');
    assert.ok(paid.body.paidAt);
    assert.equal(await stockOf(productId), 3);

    const again = await pay(shopper, order.id).expect(409);
    assert.equal(again.body.error.code, 'ORDER_NOT_PENDING');
    const cancel = await request(api.url).post(`/api/orders/${order.id}/cancel`).set(bearer(shopper)).expect(409);
    assert.equal(cancel.body.error.code, 'ORDER_NOT_PENDING');

    await sleep(PAYMENT_TTL_MS + 500);
    const later = await request(api.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200);
    assert.equal(later.body.status, 'PAID', 'a paid order must never expire');
    const book = await assertStockConserved(api.sequelize, productId);
    assert.equal(book.sold, 2);
  });

  it('when the card is declined, then 402 PAYMENT_DECLINED and the order stays pending', async () => {
    const { shopper, productId, order } = await placeOrder();
    const declined = await pay(shopper, order.id, 'tok_decline').expect(402);
    assert.equal(declined.body.error.code, 'PAYMENT_DECLINED');
    const current = await request(api.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200);
    assert.equal(current.body.status, 'PENDING_PAYMENT');
    assert.equal(await stockOf(productId), 3);
    await pay(shopper, order.id).expect(200);
  });

  it('when the shopper cancels, then the order is CANCELLED by USER and the stock comes back', async () => {
    const { shopper, productId, order } = await placeOrder();
    const cancelled = await request(api.url).post(`/api/orders/${order.id}/cancel`).set(bearer(shopper)).expect(200);
    assert.equal(cancelled.body.status, 'CANCELLED');
    assert.equal(cancelled.body.cancelReason, 'USER');
    assert.equal(await stockOf(productId), 5);
    const payLate = await pay(shopper, order.id).expect(409);
    assert.equal(payLate.body.error.code, 'ORDER_NOT_PENDING');
    await request(api.url).post(`/api/orders/${order.id}/cancel`).set(bearer(shopper)).expect(409);
    const book = await assertStockConserved(api.sequelize, productId);
    assert.equal(book.buyable, 5);
  });

  it('when an admin cancels, then the reason is ADMIN', async () => {
    const { productId, order } = await placeOrder();
    const cancelled = await request(api.url).post(`/api/orders/${order.id}/cancel`).set(bearer(admin)).expect(200);
    assert.equal(cancelled.body.cancelReason, 'ADMIN');
    assert.equal(await stockOf(productId), 5);
  });

  it('when nobody pays in time, then the order is cancelled by PAYMENT_TIMEOUT within 2 s of expiresAt and stock returns', async () => {
    const { shopper, productId, order } = await placeOrder();
    assert.equal(await stockOf(productId), 3);
    const deadline = Date.parse(order.expiresAt);
    let current = order;
    while (Date.now() < deadline + 2_000) {
      current = (await request(api.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200)).body;
      if (current.status !== 'PENDING_PAYMENT') break;
      await sleep(100);
    }
    assert.equal(current.status, 'CANCELLED');
    assert.equal(current.cancelReason, 'PAYMENT_TIMEOUT');
    assert.ok(Date.parse(current.cancelledAt) >= deadline, 'never cancelled before its deadline');
    assert.ok(
      Date.parse(current.cancelledAt) - deadline < 2_000,
      `cancelled ${Date.parse(current.cancelledAt) - deadline} ms late`,
    );
    assert.equal(await stockOf(productId), 5);
    const late = await pay(shopper, order.id).expect(409);
    assert.equal(late.body.error.code, 'ORDER_EXPIRED');
    await assertStockConserved(api.sequelize, productId);
  });

  it('when payments race the deadline, then each order ends exactly once, paid or cancelled, and stock is conserved', async () => {
    const productId = await createProduct(api.url, admin, { stock: 40, price: 1000 });
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const orders = await Promise.all(
      Array.from(
        { length: 20 },
        async () =>
          (
            await request(api.url)
              .post('/api/orders')
              .set(bearer(shopper))
              .send({ items: [{ productId, quantity: 1 }], addressId })
              .expect(201)
          ).body as { id: string; expiresAt: string },
      ),
    );
    // Fire the payments spread around the deadline, so some land just before and some just after.
    const deadline = Math.min(...orders.map((order) => Date.parse(order.expiresAt)));
    await sleep(Math.max(0, deadline - Date.now() - 150));
    const answers = await Promise.all(
      orders.map(async (order, index) => {
        await sleep(index * 15);
        return pay(shopper, order.id);
      }),
    );
    for (const answer of answers) {
      assert.ok(
        answer.status === 200 || (answer.status === 409 && answer.body.error.code === 'ORDER_EXPIRED'),
        `unexpected ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    await sleep(2_500);
    let paid = 0;
    for (const [index, order] of orders.entries()) {
      const final = (await request(api.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200)).body;
      assert.ok(['PAID', 'CANCELLED'].includes(final.status), `order left ${final.status}`);
      assert.equal(final.status === 'PAID', answers[index]!.status === 200, 'the answer matches the outcome');
      if (final.status === 'PAID') paid++;
    }
    const book = await assertStockConserved(api.sequelize, productId);
    assert.equal(book.sold, paid);
    assert.equal(book.held, 0);
    assert.equal(book.buyable, 40 - paid);
  });

  it('when an order is retried with the same Idempotency-Key, then one order exists and the same answer returns', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 5 });
    const body = { items: [{ productId, quantity: 1 }], addressId };
    const first = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .set('Idempotency-Key', 'k-1')
      .send(body)
      .expect(201);
    const second = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .set('Idempotency-Key', 'k-1')
      .send(body)
      .expect(201);
    assert.equal(second.body.id, first.body.id);
    assert.equal(await stockOf(productId), 4);

    const mismatch = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .set('Idempotency-Key', 'k-1')
      .send({ ...body, items: [{ productId, quantity: 2 }] })
      .expect(422);
    assert.equal(mismatch.body.error.code, 'IDEMPOTENCY_MISMATCH');

    // Keys are per user: another shopper's k-1 is a new order.
    const other = await registerUser(api.url);
    const otherAddress = await createAddress(api.url, other);
    await request(api.url)
      .post('/api/orders')
      .set(bearer(other))
      .set('Idempotency-Key', 'k-1')
      .send({ items: [{ productId, quantity: 1 }], addressId: otherAddress })
      .expect(201);
    assert.equal(await stockOf(productId), 3);

    const mine = await request(api.url).get('/api/orders').set(bearer(shopper)).expect(200);
    assert.equal(mine.body.items.length, 1);
  });

  it('when the same key is sent many times at once, then one order is created and the others wait or replay it', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 50 });
    const body = { items: [{ productId, quantity: 1 }], addressId };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(api.url).post('/api/orders').set(bearer(shopper)).set('Idempotency-Key', 'burst').send(body),
      ),
    );
    for (const answer of answers) {
      assert.ok(
        answer.status === 201 || (answer.status === 409 && answer.body.error.code === 'IDEMPOTENCY_IN_PROGRESS'),
        `unexpected ${answer.status}`,
      );
    }
    const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id));
    assert.equal(ids.size, 1);
    assert.equal(await stockOf(productId), 49);
  });

  it('when payment is retried with the same Idempotency-Key, then it answers the same and charges once', async () => {
    const { shopper, order } = await placeOrder();
    const first = await request(api.url)
      .post(`/api/orders/${order.id}/pay`)
      .set(bearer(shopper))
      .set('Idempotency-Key', 'pay-1')
      .send({ method: 'sandbox', token: 'tok_ok' })
      .expect(200);
    const replay = await request(api.url)
      .post(`/api/orders/${order.id}/pay`)
      .set(bearer(shopper))
      .set('Idempotency-Key', 'pay-1')
      .send({ method: 'sandbox', token: 'tok_ok' })
      .expect(200);
    assert.deepEqual(replay.body.id, first.body.id);
    assert.equal(replay.body.status, 'PAID');
    const payments = await api.services.payments.paymentsOf(order.id);
    assert.equal(payments.filter((payment) => payment.status === 'SUCCEEDED').length, 1);
  });
});
