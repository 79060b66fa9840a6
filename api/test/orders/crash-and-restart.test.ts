import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { spawnApiProcess, testEnvironment, type ApiProcess } from '../support/test-api.js';
import { createTestStore, deleteRedisKeys } from '../support/test-env.js';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  createAddress,
  createProduct,
  loginUser,
  registerUser,
} from '../support/factories.js';

const PAYMENT_TTL_MS = 3_000;

interface PlacedOrder {
  id: string;
  expiresAt: string;
}

describe('orders across crashes', () => {
  const store = createTestStore();
  const env = testEnvironment(store, { ...ADMIN_ENV, ORDER_PAYMENT_TTL_MS: String(PAYMENT_TTL_MS) });
  const running: ApiProcess[] = [];
  const start = async (overrides: Record<string, string> = {}) => {
    const api = await spawnApiProcess({ ...env, ...overrides });
    running.push(api);
    return api;
  };
  after(async () => {
    for (const api of running) await api.stop('SIGKILL');
    await store.destroy();
  });

  async function placeOrders(url: string, count: number) {
    const admin = await loginUser(url, ADMIN.email, ADMIN.password);
    const shopper = await registerUser(url);
    const addressId = await createAddress(url, shopper);
    const productId = await createProduct(url, admin, { stock: 10 });
    const orders: PlacedOrder[] = [];
    for (let index = 0; index < count; index++) {
      const answer = await request(url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity: 1 }], addressId })
        .expect(201);
      orders.push(answer.body as PlacedOrder);
    }
    return { shopper, productId, orders };
  }

  const statusOf = async (url: string, shopper: { accessToken: string }, orderId: string) =>
    (await request(url).get(`/api/orders/${orderId}`).set(bearer(shopper)).expect(200)).body as {
      status: string;
      cancelReason?: string;
      cancelledAt?: string;
    };

  it('when every API process is killed and Redis emptied past the deadline, then the first process up expires the orders within 2 s and stock returns', async () => {
    const first = await start();
    const { shopper, productId, orders } = await placeOrders(first.url, 3);
    const stockAfterOrders = (await request(first.url).get(`/api/products/${productId}`).expect(200)).body.stock;
    assert.equal(stockAfterOrders, 7);

    await first.stop('SIGKILL');
    await deleteRedisKeys(store.redisKeyPrefix);
    const lastDeadline = Math.max(...orders.map((order) => Date.parse(order.expiresAt)));
    await sleep(Math.max(0, lastDeadline - Date.now()) + 500);

    const second = await start();
    const readyAt = Date.now();
    const pending = new Set(orders.map((order) => order.id));
    while (pending.size > 0 && Date.now() - readyAt < 2_000) {
      for (const orderId of [...pending]) {
        const order = await statusOf(second.url, shopper, orderId);
        if (order.status === 'CANCELLED') {
          assert.equal(order.cancelReason, 'PAYMENT_TIMEOUT');
          pending.delete(orderId);
        }
      }
      await sleep(100);
    }
    assert.equal(pending.size, 0, `still pending 2 s after the API was ready: ${[...pending].join(', ')}`);
    const product = (await request(second.url).get(`/api/products/${productId}`).expect(200)).body;
    assert.equal(product.stock, 10);
  });

  it('when the API is killed and Redis emptied before the deadline, then after a restart the orders still expire on time', async () => {
    // Long enough that a restart (a few seconds under tsx) lands before the deadline.
    const longer = { ORDER_PAYMENT_TTL_MS: '15000' };
    const first = await start(longer);
    const { shopper, productId, orders } = await placeOrders(first.url, 2);
    await first.stop('SIGKILL');
    await deleteRedisKeys(store.redisKeyPrefix);

    const second = await start(longer);
    const deadline = Math.max(...orders.map((order) => Date.parse(order.expiresAt)));
    assert.ok(Date.now() < deadline, 'the restart must come before the deadline for this test to mean anything');
    await sleep(Math.max(0, deadline - Date.now()) + 1_500);
    for (const order of orders) {
      const current = await statusOf(second.url, shopper, order.id);
      assert.equal(current.status, 'CANCELLED');
      const lateness = Date.parse(current.cancelledAt ?? '') - Date.parse(order.expiresAt);
      assert.ok(lateness >= 0 && lateness < 1_500, `expired ${lateness} ms after its deadline`);
    }
    const product = (await request(second.url).get(`/api/products/${productId}`).expect(200)).body;
    assert.equal(product.stock, 10);
  });
});
