import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueryTypes } from 'sequelize';
import { startTestApi, type TestApi } from '../../test/support/test-api.js';
import {
  ADMIN,
  ADMIN_ENV,
  createAddress,
  createProduct,
  loginUser,
  placeOrder,
  registerUser,
} from '../../test/support/factories.js';
import { assertStockConserved } from '../../test/support/stock-invariant.js';
import { TEST_DIALECT } from '../../test/support/test-env.js';

describe('database sessions', { skip: TEST_DIALECT === 'sqlite' && 'MySQL/MariaDB sessions only' }, () => {
  let api: TestApi;
  before(async () => {
    // No workers: the test expires due orders itself.
    api = await startTestApi({ ...ADMIN_ENV, RUN_WORKERS: 'false', ORDER_PAYMENT_TTL_MS: '1000' });
  });
  after(() => api.stop());

  it('when several connections of the pool run at once, then each runs at READ COMMITTED, in and out of transactions', async () => {
    // Held open together, so each uses a connection of its own.
    const levels = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.sequelize.transaction(async (transaction) => {
          const [row] = await api.sequelize.query<{ level: string; connection: number }>(
            'SELECT @@tx_isolation AS level, CONNECTION_ID() AS connection',
            { transaction, type: QueryTypes.SELECT },
          );
          await api.sequelize.query('SELECT SLEEP(0.1)', { transaction });
          return row;
        }),
      ),
    );
    assert.equal(new Set(levels.map((row) => row?.connection)).size, 6);
    assert.deepEqual(new Set(levels.map((row) => row?.level)), new Set(['READ-COMMITTED']));
    const [lone] = await api.sequelize.query<{ level: string }>('SELECT @@tx_isolation AS level', {
      type: QueryTypes.SELECT,
    });
    assert.equal(lone?.level, 'READ-COMMITTED');
  });

  it('when expiry claims due orders while another transaction holds one, then it takes the others at once instead of waiting', async () => {
    const admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
    const shopper = await registerUser(api.url);
    const addressId = await createAddress(api.url, shopper);
    const productId = await createProduct(api.url, admin, { stock: 5 });
    const placed = await Promise.all([1, 2, 3].map(() => placeOrder(api.url, shopper, { productId, addressId })));
    await new Promise((done) =>
      setTimeout(done, Math.max(...placed.map((o) => Date.parse(o.expiresAt))) - Date.now() + 50),
    );

    // A payment (say) holds the first order's row until it is told to finish.
    let finish = () => {};
    const held = new Promise<void>((done) => (finish = done));
    let locked = () => {};
    const isLocked = new Promise<void>((done) => (locked = done));
    const holder = api.sequelize.transaction(async (transaction) => {
      await api.sequelize.query('SELECT id FROM orders WHERE id = :id FOR UPDATE', {
        replacements: { id: placed[0]?.id },
        transaction,
      });
      locked();
      await held;
    });
    await isLocked;
    const started = Date.now();
    const { expired } = await api.services.orders.expireUnpaidOrders([], { upTo: 10 });
    const tookMs = Date.now() - started;
    finish();
    await holder;

    assert.equal(expired, 2);
    assert.ok(tookMs < 2_000, `the claim waited ${tookMs} ms for a row it should have skipped`);
    const { expired: rest } = await api.services.orders.expireUnpaidOrders([], { upTo: 10 });
    assert.equal(rest, 1, 'once released, the skipped order is expired too');
    await assertStockConserved(api.sequelize, productId);
  });
});
