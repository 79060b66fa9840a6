import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Product, ProductList } from '@vitrine/contracts';
import { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import request from 'supertest';
import {
  ADMIN,
  ADMIN_ENV,
  bearer,
  buildProduct,
  createAddress,
  loginUser,
  registerUser,
  type SignedInUser,
} from '../../../test/support/factories.js';
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { createTestStore, deleteRedisKeys } from '../../../test/support/test-env.js';

const marker = () => `c${Math.random().toString(36).slice(2, 10)}`;

async function createOn(api: TestApi, admin: SignedInUser, overrides: Parameters<typeof buildProduct>[0] = {}) {
  const response = await request(api.url).post('/api/products').set(bearer(admin)).send(buildProduct(overrides));
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as Product;
}
const listOn = async (api: TestApi, query: Record<string, string | number>): Promise<ProductList> =>
  (await request(api.url).get('/api/products').query(query).expect(200)).body as ProductList;
const detailOn = async (api: TestApi, id: string): Promise<Product> =>
  (await request(api.url).get(`/api/products/${id}`).expect(200)).body as Product;
const statsOf = (api: TestApi) => api.services.catalog.cacheStats();

/** Polls `read` until `accept` holds or `withinMs` passes; answers how long it took (or fails). */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, withinMs: number): Promise<number> {
  const started = Date.now();
  let last: T | undefined;
  while (Date.now() - started <= withinMs) {
    last = await read();
    if (accept(last)) return Date.now() - started;
    await new Promise((done) => setTimeout(done, 20));
  }
  assert.fail(`not seen within ${withinMs} ms; last value ${JSON.stringify(last)}`);
}

/** Counts the real SQL statements that read the products table (not stock, not anything else). */
function countProductQueries(sequelize: Sequelize) {
  const seen = { selects: 0, counts: 0 };
  const name = `product-query-counter-${Math.random()}`;
  sequelize.addHook('afterQuery', name, (_options, query) => {
    const sql = (query as unknown as { sql?: string }).sql ?? '';
    if (!/^SELECT/i.test(sql) || !/FROM [`"]?products[`"]?/i.test(sql)) return;
    if (/count\(/i.test(sql)) seen.counts++;
    else seen.selects++;
  });
  return { seen, stop: () => sequelize.removeHook('afterQuery', name) };
}

describe('catalog cache across two API processes', () => {
  const store = createTestStore();
  let a: TestApi;
  let b: TestApi;
  let admin: SignedInUser;
  before(async () => {
    a = await startTestApi(ADMIN_ENV, store);
    b = await startTestApi(ADMIN_ENV, store);
    admin = await loginUser(a.url, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await a.close();
    await b.stop();
  });

  it('when a price is edited on A after B cached it, then B lists and details the new price within 1 s', async () => {
    const tag = marker();
    const product = await createOn(a, admin, { name: tag, price: 20000 });
    await listOn(b, { q: tag });
    await detailOn(b, product.id);
    const hitsBefore = statsOf(b);
    assert.equal((await listOn(b, { q: tag })).items[0]?.price, 20000);
    assert.equal((await detailOn(b, product.id)).price, 20000);
    assert.equal(statsOf(b).list.hits, hitsBefore.list.hits + 1, 'B answered its list from the cache');
    assert.equal(statsOf(b).product.hits, hitsBefore.product.hits + 1, 'B answered its detail from the cache');

    await request(a.url).patch(`/api/products/${product.id}`).set(bearer(admin)).send({ price: 15900 }).expect(200);

    const listDelay = await eventually(
      () => listOn(b, { q: tag }),
      (page) => page.items[0]?.price === 15900,
      1_000,
    );
    const detailDelay = await eventually(
      () => detailOn(b, product.id),
      (found) => found.price === 15900,
      1_000,
    );
    assert.ok(listDelay < 1_000 && detailDelay < 1_000);
    // Fresh again, and cached again: the next read on B is a hit with the new price.
    const hits = statsOf(b).list.hits;
    assert.equal((await listOn(b, { q: tag })).items[0]?.price, 15900);
    assert.equal(statsOf(b).list.hits, hits + 1);
  });

  it('when stock is adjusted on A, then B’s cached list and detail show the new stock at once, without a refill', async () => {
    const tag = marker();
    const product = await createOn(a, admin, { name: tag, stock: 10 });
    await listOn(b, { q: tag });
    await detailOn(b, product.id);
    const before = statsOf(b);

    await request(a.url).post(`/api/products/${product.id}/stock`).set(bearer(admin)).send({ delta: -4 }).expect(200);

    assert.equal((await listOn(b, { q: tag })).items[0]?.stock, 6);
    assert.equal((await detailOn(b, product.id)).stock, 6);
    const afterwards = statsOf(b);
    assert.equal(afterwards.list.loads, before.list.loads, 'the cached page was not evicted by a stock change');
    assert.equal(afterwards.list.hits, before.list.hits + 1);
    assert.equal(afterwards.product.hits, before.product.hits + 1);
  });

  it('when a shopper orders on A and then cancels, then B’s cached list shows the stock held and given back at once', async () => {
    const tag = marker();
    const product = await createOn(a, admin, { name: tag, stock: 5 });
    const shopper = await registerUser(a.url);
    const addressId = await createAddress(a.url, shopper);
    await listOn(b, { q: tag });
    const loadsBefore = statsOf(b).list.loads;

    const order = await request(a.url)
      .post('/api/orders')
      .set(bearer(shopper))
      .send({ items: [{ productId: product.id, quantity: 3 }], addressId })
      .expect(201);
    assert.equal((await listOn(b, { q: tag })).items[0]?.stock, 2);
    assert.equal((await detailOn(b, product.id)).stock, 2);

    await request(a.url).post(`/api/orders/${order.body.id}/cancel`).set(bearer(shopper)).expect(200);
    assert.equal((await listOn(b, { q: tag })).items[0]?.stock, 5);
    assert.equal(statsOf(b).list.loads, loadsBefore, 'orders never evicted the cached page');
  });

  it('when a product is deleted on A, then B’s cached list and detail drop it at once', async () => {
    const tag = marker();
    const product = await createOn(a, admin, { name: tag });
    assert.equal((await listOn(b, { q: tag })).total, 1);
    await detailOn(b, product.id);

    await request(a.url).delete(`/api/products/${product.id}`).set(bearer(admin)).expect(204);

    assert.deepEqual(await listOn(b, { q: tag }), { items: [], total: 0, page: 1, limit: 20 });
    await request(b.url).get(`/api/products/${product.id}`).expect(404);
  });

  it('when a product is created on A, then B’s cached lists include it at once', async () => {
    const tag = marker();
    await createOn(a, admin, { name: `${tag} first` });
    assert.equal((await listOn(b, { q: tag })).total, 1);

    await createOn(a, admin, { name: `${tag} second` });

    assert.equal((await listOn(b, { q: tag })).total, 2);
  });

  it('when a rating changes in a transaction, then B keeps the old rating until commit and shows the new one after', async () => {
    const tag = marker();
    const product = await createOn(a, admin, { name: tag });
    await listOn(b, { q: tag });

    await a.sequelize.transaction(async (transaction) => {
      await a.services.catalog.applyRatingChange(product.id, { countDelta: 1, totalDelta: 4 }, transaction);
      // Not committed yet: a reader elsewhere sees (and caches) the committed value only.
      assert.deepEqual((await listOn(b, { q: tag })).items[0]?.rating, { average: 0, count: 0 });
      assert.deepEqual((await detailOn(b, product.id)).rating, { average: 0, count: 0 });
    });

    assert.deepEqual((await listOn(b, { q: tag })).items[0]?.rating, { average: 4, count: 1 });
    assert.deepEqual((await detailOn(b, product.id)).rating, { average: 4, count: 1 });
  });

  it('when 50 requests miss one cold list key on both processes at once, then the database is asked once', async () => {
    const tag = marker();
    for (let index = 0; index < 30; index++) await createOn(a, admin, { name: `${tag} ${index}`, price: 1000 + index });
    await deleteRedisKeys(`${store.redisKeyPrefix}catalog:`); // every entry and version gone: a cold cache
    const onA = countProductQueries(a.sequelize);
    const onB = countProductQueries(b.sequelize);
    const before = [statsOf(a).list, statsOf(b).list];

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        request(index % 2 === 0 ? a.url : b.url)
          .get('/api/products')
          .query({ q: tag, sort: 'price_desc', limit: 7, page: 2 }),
      ),
    );
    onA.stop();
    onB.stop();

    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const first = answers[0]!.body as ProductList;
    assert.deepEqual(
      first.items.map((item) => item.price),
      [1022, 1021, 1020, 1019, 1018, 1017, 1016],
    );
    assert.equal(first.total, 30);
    for (const answer of answers) assert.deepEqual(answer.body, first);
    assert.deepEqual(
      { selects: onA.seen.selects + onB.seen.selects, counts: onA.seen.counts + onB.seen.counts },
      { selects: 1, counts: 1 },
      'one page query and one count query in all',
    );
    const loads = statsOf(a).list.loads - before[0]!.loads + (statsOf(b).list.loads - before[1]!.loads);
    assert.equal(loads, 1);
  });

  it('when 50 requests miss one cold product on both processes at once, then the database is asked once', async () => {
    const product = await createOn(a, admin);
    await deleteRedisKeys(`${store.redisKeyPrefix}catalog:`);
    const onA = countProductQueries(a.sequelize);
    const onB = countProductQueries(b.sequelize);

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        request(index % 2 === 0 ? a.url : b.url).get(`/api/products/${product.id}`),
      ),
    );
    onA.stop();
    onB.stop();

    for (const answer of answers) assert.deepEqual([answer.status, answer.body], [200, product]);
    assert.equal(onA.seen.selects + onB.seen.selects, 1);
  });
});

describe('catalog with Redis going away', () => {
  let redisServer: ChildProcess | undefined;
  let api: TestApi;
  let admin: SignedInUser;
  let port = 0;

  const freePort = async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port: found } = server.address() as { port: number };
    server.close();
    return found;
  };
  const startRedis = async () => {
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => undefined); // refused until the server listens
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
  };
  const stopRedis = async () => {
    if (!redisServer || redisServer.exitCode !== null) return;
    const exited = once(redisServer, 'exit');
    redisServer.kill('SIGKILL');
    await exited;
  };

  before(async () => {
    port = await freePort();
    await startRedis();
    // No Bull workers: the catalog needs none, and they are not what this suite is about.
    api = await startTestApi({ ...ADMIN_ENV, REDIS_URL: `redis://127.0.0.1:${port}`, RUN_WORKERS: 'false' });
    admin = await loginUser(api.url, ADMIN.email, ADMIN.password);
  });
  after(async () => {
    await api.stop();
    await stopRedis();
  });

  it('when Redis dies, then list and detail still answer 200 from the database with the right data', async () => {
    const tag = marker();
    const made = [
      await createOn(api, admin, { name: `${tag} one`, price: 1000, stock: 3 }),
      await createOn(api, admin, { name: `${tag} two`, price: 2000, stock: 5 }),
    ];
    const cached = await listOn(api, { q: tag, sort: 'price_asc' });
    await listOn(api, { q: tag, sort: 'price_asc' });
    assert.ok(statsOf(api).list.hits >= 1, 'the page was served from Redis while it was up');

    await stopRedis();

    assert.deepEqual(await listOn(api, { q: tag, sort: 'price_asc' }), cached);
    assert.deepEqual(await detailOn(api, made[0]!.id), made[0]);
    assert.ok(statsOf(api).list.fallbacks >= 1);

    // Writes go on too, and reads answer what the database says.
    await request(api.url).patch(`/api/products/${made[1]!.id}`).set(bearer(admin)).send({ price: 2500 }).expect(200);
    assert.deepEqual(
      (await listOn(api, { q: tag, sort: 'price_asc' })).items.map((item) => [item.price, item.stock]),
      [
        [1000, 3],
        [2500, 5],
      ],
    );
  });

  it('when Redis comes back, then the catalog caches again', async () => {
    const tag = marker();
    await createOn(api, admin, { name: tag });
    const hitsWhileDown = statsOf(api).list.hits;
    await startRedis();
    await eventually(
      async () => {
        await listOn(api, { q: tag });
        return statsOf(api).list.hits;
      },
      (hits) => hits > hitsWhileDown,
      10_000,
    );
    const hits = statsOf(api).list.hits;
    await listOn(api, { q: tag });
    assert.equal(statsOf(api).list.hits, hits + 1);
  });
});
