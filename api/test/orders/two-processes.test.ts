import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { Sequelize } from 'sequelize';
import { parseDatabaseUrl } from '../../src/platform/database.js';
import { spawnApiProcess, testEnvironment, type ApiProcess } from '../support/test-api.js';
import { createTestStore } from '../support/test-env.js';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  createAddress,
  createProduct,
  loginUser,
  registerUser,
} from '../support/factories.js';
import { assertStockConserved } from '../support/stock-invariant.js';

describe('orders on two API processes sharing one database and Redis', () => {
  const store = createTestStore();
  const env = testEnvironment(store, { ...ADMIN_ENV, ORDER_PAYMENT_TTL_MS: '2500' });
  let a: ApiProcess;
  let b: ApiProcess;
  let sequelize: Sequelize;

  before(async () => {
    [a, b] = await Promise.all([spawnApiProcess(env), spawnApiProcess(env)]);
    const target = parseDatabaseUrl(store.databaseUrl);
    sequelize =
      target.dialect === 'sqlite'
        ? new Sequelize({ dialect: 'sqlite', storage: target.database, logging: false })
        : new Sequelize(target.database, target.user ?? 'root', target.password, {
            dialect: 'mysql',
            host: target.host,
            port: target.port,
            logging: false,
          });
  });
  after(async () => {
    await sequelize.close();
    await Promise.all([a.stop(), b.stop()]);
    await store.destroy();
  });

  it('when buyers hit both processes for a few units, then exactly that many orders succeed and none is expired twice', async () => {
    const admin = await loginUser(a.url, ADMIN.email, ADMIN.password);
    const units = 25;
    const productId = await createProduct(a.url, admin, { stock: units });
    const shoppers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const shopper = await registerUser(a.url);
        return { shopper, addressId: await createAddress(a.url, shopper) };
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, index) => {
        const { shopper, addressId } = shoppers[index % shoppers.length]!;
        return request(index % 2 === 0 ? a.url : b.url)
          .post('/api/orders')
          .set(bearer(shopper))
          .send({ items: [{ productId, quantity: 1 }], addressId });
      }),
    );
    assert.equal(answers.filter((answer) => answer.status === 201).length, units);
    assert.equal(answers.filter((answer) => answer.status === 409).length, 150 - units);

    // Both processes run expiry workers and sweepers: each order must be cancelled and restocked once.
    await sleep(2_500 + 2_500);
    const book = await assertStockConserved(sequelize, productId);
    assert.equal(book.held, 0);
    assert.equal(book.buyable, units);
    const [releases] = await sequelize.query(
      `SELECT order_id, COUNT(*) AS n FROM stock_ledger WHERE product_id = :productId AND reason = 'ORDER_RELEASED'
       GROUP BY order_id HAVING COUNT(*) > 1`,
      { replacements: { productId } },
    );
    assert.deepEqual(releases, [], 'an order was restocked twice');
    for (const api of [a, b]) {
      const product = (await request(api.url).get(`/api/products/${productId}`).expect(200)).body;
      assert.equal(product.stock, units);
    }
  });
});
