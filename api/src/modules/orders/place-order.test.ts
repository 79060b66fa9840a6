import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

describe('placing orders', () => {
  let api: TestApi;
  let admin: SignedInUser;

  before(async () => {
    api = await startTestApi(ADMIN_ENV);
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(() => api.stop());

  const stockOf = async (productId: string) =>
    ((await request(api.url).get(`/api/products/${productId}`).expect(200)).body as { stock: number }).stock;

  it('when a shopper orders, then the order holds its stock, copies prices and address, and counts down', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const mug = await createProduct(api.url, admin, { price: 12900, stock: 5, name: 'Moon jar mug' });
    const plate = await createProduct(api.url, admin, { price: 30000, stock: 2 });

    const placed = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({
        items: [
          { productId: mug, quantity: 2 },
          { productId: plate, quantity: 1 },
        ],
        addressId,
      })
      .expect(201);

    const order = placed.body;
    assert.equal(order.status, 'PENDING_PAYMENT');
    assert.equal(order.total, 2 * 12900 + 30000);
    assert.equal(order.currency, 'KRW');
    assert.deepEqual(
      order.items.find((line: { productId: string }) => line.productId === mug),
      { productId: mug, name: 'Moon jar mug', price: 12900, quantity: 2 },
    );
    assert.equal(order.address.city, 'Seoul');
    const ttl = Date.parse(order.expiresAt) - Date.parse(order.serverTime);
    assert.ok(ttl > 290_000 && ttl <= 300_000, `expected a 5 minute window, got ${ttl} ms`);
    assert.equal(await stockOf(mug), 3);
    assert.equal(await stockOf(plate), 1);

    const mine = await request(api.url).get('/api/orders').set(bearer(shopper)).expect(200);
    assert.deepEqual(
      mine.body.items.map((o: { id: string }) => o.id),
      [order.id],
    );
    await assertStockConserved(api.sequelize, mug);
  });

  it('when one line lacks stock, then nothing is reserved and the answer is 409 OUT_OF_STOCK', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const plenty = await createProduct(api.url, admin, { stock: 10 });
    const scarce = await createProduct(api.url, admin, { stock: 1 });

    const refused = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({
        items: [
          { productId: plenty, quantity: 3 },
          { productId: scarce, quantity: 2 },
        ],
        addressId,
      })
      .expect(409);
    assert.equal(refused.body.error.code, 'OUT_OF_STOCK');
    assert.equal(await stockOf(plenty), 10);
    assert.equal(await stockOf(scarce), 1);
    const mine = await request(api.url).get('/api/orders').set(bearer(shopper)).expect(200);
    assert.equal(mine.body.items.length, 0);
  });

  it('when the same product appears on two lines, then they count together against its stock', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 3 });
    await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({
        items: [
          { productId, quantity: 2 },
          { productId, quantity: 2 },
        ],
        addressId,
      })
      .expect(409);
    assert.equal(await stockOf(productId), 3);
  });

  it('when the body is wrong, then 400 names the field and nothing is reserved', async () => {
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 3 });
    const cases: [unknown, string][] = [
      [{ items: [{ productId, quantity: 0 }], addressId }, 'items.0.quantity'],
      [{ items: [{ productId, quantity: 1.5 }], addressId }, 'items.0.quantity'],
      [{ items: [], addressId }, 'items'],
      [{ items: [{ productId, quantity: 1 }] }, 'addressId'],
      [{ items: [{ productId, quantity: 1, price: 1 }], addressId }, 'items.0.price'],
      [{ items: [{ productId, quantity: 1 }], addressId, status: 'PAID' }, 'status'],
      [{ items: [{ productId, quantity: 1 }], addressId, userId: admin.user.id }, 'userId'],
    ];
    for (const [body, field] of cases) {
      const answer = await request(api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send(body as object)
        .expect(400);
      assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
      assert.ok(
        answer.body.error.details.issues.some((issue: { field: string }) => issue.field === field),
        `expected ${field} in ${JSON.stringify(answer.body.error.details.issues)}`,
      );
    }
    assert.equal(await stockOf(productId), 3);
  });

  it('when the product or the address is unknown or not yours, then 404 and nothing is reserved', async () => {
    const shopper = await registerUser(api.url);
    const stranger = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const strangersAddress = await createAddress(api.url, stranger);
    const productId = await createProduct(api.url, admin, { stock: 3 });

    const unknownProduct = await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({ items: [{ productId: 'no-such-product', quantity: 1 }], addressId })
      .expect(404);
    assert.equal(unknownProduct.body.error.code, 'NOT_FOUND');

    await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({ items: [{ productId, quantity: 1 }], addressId: strangersAddress })
      .expect(404);
    assert.equal(await stockOf(productId), 3);

    await request(api.url).delete(`/api/products/${productId}`).set(bearer(admin)).expect(204);
    await request(api.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({ items: [{ productId, quantity: 1 }], addressId })
      .expect(404);
  });

  it('when another user asks for my order, then it answers 404; an admin sees it', async () => {
    const shopper = await registerUser(api.url);
    const stranger = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 3 });
    const order = (
      await request(api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity: 1 }], addressId })
        .expect(201)
    ).body;

    const hidden = await request(api.url).get(`/api/orders/${order.id}`).set(bearer(stranger)).expect(404);
    assert.equal(hidden.body.error.code, 'NOT_FOUND');
    assert.equal(JSON.stringify(hidden.body).includes(order.address.line1), false);
    await request(api.url).post(`/api/orders/${order.id}/cancel`).set(bearer(stranger)).expect(404);
    await request(api.url)
      .post(`/api/orders/${order.id}/pay`)
      .set(bearer(stranger))
      .send({ method: 'sandbox', token: 'tok_ok' })
      .expect(404);
    const strangersList = await request(api.url).get('/api/orders').set(bearer(stranger)).expect(200);
    assert.equal(strangersList.body.items.length, 0);

    const seenByAdmin = await request(api.url).get(`/api/orders/${order.id}`).set(bearer(admin)).expect(200);
    assert.equal(seenByAdmin.body.id, order.id);
    const pending = await request(api.url)
      .get('/api/admin/orders?status=PENDING_PAYMENT')
      .set(bearer(admin))
      .expect(200);
    assert.ok(pending.body.items.some((o: { id: string }) => o.id === order.id));
    assert.ok(pending.body.items.every((o: { status: string }) => o.status === 'PENDING_PAYMENT'));
    await request(api.url).get('/api/admin/orders').set(bearer(shopper)).expect(403);
    await request(api.url).get('/api/admin/orders?status=LOST').set(bearer(admin)).expect(400);
  });

  it('when hundreds of shoppers race for a few units, then exactly that many orders succeed and the rest are sold out', async () => {
    const units = 15;
    const productId = await createProduct(api.url, admin, { stock: units });
    const shoppers = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const shopper = await registerUser(api.url);
        return { shopper, addressId: await createAddress(api.url, shopper) };
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, index) => {
        const { shopper, addressId } = shoppers[index % shoppers.length]!;
        return request(api.url)
          .post('/api/orders')
          .set(bearer(shopper))
          .send({ items: [{ productId, quantity: 1 }], addressId });
      }),
    );
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 201).length, units);
    assert.equal(statuses.filter((status) => status === 409).length, 200 - units);
    assert.ok(answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'OUT_OF_STOCK'));
    assert.equal(await stockOf(productId), 0);
    const book = await assertStockConserved(api.sequelize, productId);
    assert.equal(book.held, units);
  });
});
