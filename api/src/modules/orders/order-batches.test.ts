import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { QueryTypes } from 'sequelize';
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

const PAYMENT_TTL_MS = 1_500;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Orders placed (and expired) at the same time are written in batches, one transaction each; these
 * are the cases where one order of a batch must not decide for the others.
 */
describe('orders written in batches', () => {
  let api: TestApi;
  let admin: SignedInUser;
  let shoppers: { shopper: SignedInUser; addressId: string }[];

  before(async () => {
    api = await startTestApi({ ...ADMIN_ENV, ORDER_PAYMENT_TTL_MS: String(PAYMENT_TTL_MS) });
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
    shoppers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const shopper = await registerUser(api.url);
        return { shopper, addressId: await createAddress(api.url, shopper) };
      }),
    );
  });
  after(() => api.stop());

  const stockOf = async (productId: string) =>
    ((await request(api.url).get(`/api/products/${productId}`).expect(200)).body as { stock: number }).stock;

  const order = (who: { shopper: SignedInUser; addressId: string }, productId: string, headers = {}) =>
    request(api.url)
      .post('/api/orders')
      .set(bearer(who.shopper))
      .set(headers)
      .send({ items: [{ productId, quantity: 1 }], addressId: who.addressId });

  it('when orders placed together include one with a stranger’s address and one with a deleted product, then only those two fail', async () => {
    const mug = await createProduct(api.url, admin, { stock: 20 });
    const gone = await createProduct(api.url, admin, { stock: 20 });
    await request(api.url).delete(`/api/products/${gone}`).set(bearer(admin)).expect(204);
    const [first, second] = shoppers as [(typeof shoppers)[0], (typeof shoppers)[0]];

    const answers = await Promise.all([
      ...shoppers.map((who) => order(who, mug)),
      // Someone else's address: 404, never a copy of it.
      request(api.url)
        .post('/api/orders')
        .set(bearer(first.shopper))
        .send({ items: [{ productId: mug, quantity: 1 }], addressId: second.addressId }),
      order(first, gone),
    ]);

    assert.deepEqual(
      answers.map((answer) => answer.status),
      [...shoppers.map(() => 201), 404, 404],
    );
    assert.equal(await stockOf(mug), 20 - shoppers.length);
    const book = await assertStockConserved(api.sequelize, mug);
    assert.equal(book.held, shoppers.length);
    await assertStockConserved(api.sequelize, gone);
  });

  it('when Redis lets more orders through than the database holds, then exactly what the database holds is sold and the rest are sold out', async () => {
    const productId = await createProduct(api.url, admin, { stock: 12 });
    // A write-off the Redis counter never heard of (as if Redis had been away when it committed).
    await api.sequelize.query('UPDATE stock_levels SET available = 5 WHERE product_id = :productId', {
      replacements: { productId },
    });
    await api.sequelize.query(
      `INSERT INTO stock_ledger (product_id, delta, reason, order_id, note, created_at)
       VALUES (:productId, -7, 'ADJUSTMENT', NULL, 'test: missed by Redis', :now)`,
      { replacements: { productId, now: new Date() } },
    );
    assert.equal(await stockOf(productId), 12, 'the counter is ahead of the database');

    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => order(shoppers[index % 6]!, productId)));

    const outcomes = answers.map((answer) =>
      answer.status === 201 ? 201 : `${answer.status} ${answer.body.error?.code as string}`,
    );
    assert.equal(outcomes.filter((outcome) => outcome === 201).length, 5, JSON.stringify(outcomes));
    assert.equal(outcomes.filter((outcome) => outcome === '409 OUT_OF_STOCK').length, 7, JSON.stringify(outcomes));
    const book = await assertStockConserved(api.sequelize, productId);
    assert.deepEqual({ buyable: book.buyable, held: book.held }, { buyable: 0, held: 5 });
    assert.equal(await stockOf(productId), 0, 'the counter is back in line with the database');
  });

  it('when orders are placed together, then each order.placed event carries the trace of its own request', async () => {
    const productId = await createProduct(api.url, admin, { stock: 50 });
    const traces = shoppers.map(() => randomBytes(16).toString('hex'));
    const answers = await Promise.all(
      shoppers.map((who, index) =>
        order(who, productId, { traceparent: `00-${traces[index]}-${randomBytes(8).toString('hex')}-01` }).expect(201),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.headers['x-request-id']),
      traces,
    );

    const rows = await api.sequelize.query<{ payload: string; eventCount: number; traceId: string | null }>(
      `SELECT payload, event_count AS eventCount, trace_id AS traceId FROM outbox_events WHERE name = 'order.placed'`,
      { type: QueryTypes.SELECT },
    );
    const traceOfOrder = new Map<string, string | null>();
    for (const row of rows) {
      const events =
        Number(row.eventCount) > 1
          ? (JSON.parse(row.payload) as { payload: { orderId: string }; traceId: string | null }[])
          : [{ payload: JSON.parse(row.payload) as { orderId: string }, traceId: row.traceId }];
      for (const event of events) traceOfOrder.set(event.payload.orderId, event.traceId);
    }
    assert.deepEqual(
      answers.map((answer) => traceOfOrder.get(answer.body.id as string)),
      traces,
    );
  });

  it('when one due order cannot be expired, then the others of its wave still expire on time and it alone stays pending', async () => {
    const productId = await createProduct(api.url, admin, { stock: 10 });
    const placed = (await Promise.all(shoppers.map((who) => order(who, productId).expect(201)))).map(
      (answer) => answer.body as { id: string; expiresAt: string },
    );
    const [poisoned, ...healthy] = placed as [(typeof placed)[0], ...typeof placed];
    // A row no code path can read back (its address copy is not JSON): expiring it throws.
    await api.sequelize.query(`UPDATE orders SET address = 'not json' WHERE id = :id`, {
      replacements: { id: poisoned.id },
    });

    const deadline = Math.max(...placed.map((o) => Date.parse(o.expiresAt)));
    let rows: { id: string; status: string; cancelReason: string | null; lateMs: number | null }[] = [];
    while (Date.now() < deadline + 2_500) {
      await sleep(200);
      rows = (
        await api.sequelize.query<{ id: string; status: string; cancelReason: string | null; cancelledAt: unknown }>(
          `SELECT id, status, cancel_reason AS cancelReason, cancelled_at AS cancelledAt FROM orders WHERE id IN (:ids)`,
          { replacements: { ids: placed.map((o) => o.id) }, type: QueryTypes.SELECT },
        )
      ).map((row) => ({
        id: row.id,
        status: row.status,
        cancelReason: row.cancelReason,
        lateMs:
          row.cancelledAt === null
            ? null
            : new Date(row.cancelledAt as Date | string).getTime() -
              Date.parse(placed.find((o) => o.id === row.id)!.expiresAt),
      }));
      if (rows.filter((row) => row.status === 'CANCELLED').length === healthy.length) break;
    }

    for (const order of healthy) {
      const row = rows.find((candidate) => candidate.id === order.id);
      assert.equal(row?.status, 'CANCELLED', JSON.stringify(rows));
      assert.equal(row?.cancelReason, 'PAYMENT_TIMEOUT');
      assert.ok(row.lateMs !== null && row.lateMs >= 0 && row.lateMs < 2_000, `expired ${row.lateMs} ms late`);
    }
    assert.equal(rows.find((row) => row.id === poisoned.id)?.status, 'PENDING_PAYMENT');
    const book = await assertStockConserved(api.sequelize, productId);
    assert.deepEqual({ buyable: book.buyable, held: book.held }, { buyable: 9, held: 1 });
  });
});
