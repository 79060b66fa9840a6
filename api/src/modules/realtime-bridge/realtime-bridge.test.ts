import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderUpdatedEvent, StockEvent, StockSnapshot } from '@vitrine/contracts';
import { accessTokenKey, signAccessToken } from '@vitrine/contracts/access-token';
import request from 'supertest';
import { loadConfig as loadRealtimeConfig } from '../../../../realtime/src/config.js';
import { createLogger as createRealtimeLogger } from '../../../../realtime/src/logger.js';
import { createRealtimeServer, type RealtimeServer } from '../../../../realtime/src/server.js';
import { createClientPool, type TestClient } from '../../../../realtime/test/support/clients.js';
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
import { startTestApi, type TestApi } from '../../../test/support/test-api.js';
import { createTestStore, REDIS_URL, TEST_JWT_SECRET } from '../../../test/support/test-env.js';

const PAYMENT_TTL_MS = 2_500;
/** The contract's bound from a change to its watchers. */
const DELIVERY_BOUND_MS = 500;

type Received<T> = T & { receivedAt: number };

/** Everything one socket receives, in order, with the time it arrived. */
function record(socket: TestClient) {
  const stock: Received<StockEvent>[] = [];
  const orders: Received<OrderUpdatedEvent>[] = [];
  socket.on('stock', (event) => stock.push({ ...event, receivedAt: Date.now() }));
  socket.on('order:updated', (event) => orders.push({ ...event, receivedAt: Date.now() }));
  return { stock, orders };
}

async function until<T>(find: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(5);
  }
}

describe('realtime across two API processes and two realtime processes', () => {
  const store = createTestStore();
  const pool = createClientPool();
  let apiA: TestApi;
  let apiB: TestApi;
  let realtimeA: RealtimeServer;
  let realtimeB: RealtimeServer;
  let urlA: string;
  let urlB: string;
  let admin: SignedInUser;

  async function startRealtime(apiUrl: string): Promise<{ server: RealtimeServer; url: string }> {
    const config = loadRealtimeConfig({
      NODE_ENV: 'test',
      PORT: '0',
      REDIS_URL,
      REDIS_KEY_PREFIX: store.redisKeyPrefix,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'error',
      API_URL: apiUrl,
    });
    const server = createRealtimeServer(config, createRealtimeLogger(config));
    const { port } = await server.listen();
    return { server, url: `http://127.0.0.1:${port}` };
  }

  before(async () => {
    const env = { ...ADMIN_ENV, ORDER_PAYMENT_TTL_MS: String(PAYMENT_TTL_MS) };
    apiA = await startTestApi(env, store);
    apiB = await startTestApi(env, store);
    ({ server: realtimeA, url: urlA } = await startRealtime(apiA.url));
    ({ server: realtimeB, url: urlB } = await startRealtime(apiB.url));
    admin = await loginUser(apiA.url, ADMIN.email, ADMIN.password);
  });

  after(async () => {
    pool.closeAll();
    await Promise.all([realtimeA.close(), realtimeB.close()]);
    await apiB.close();
    await apiA.stop();
  });

  const watch = async (socket: TestClient, productIds: string[]) => {
    const ack = await socket.timeout(3_000).emitWithAck('product:watch', { productIds });
    assert.ok(ack.ok, `watch refused: ${JSON.stringify(ack)}`);
    return ack;
  };
  const stockOn = async (api: TestApi, productId: string) =>
    ((await request(api.url).get(`/api/products/${productId}`).expect(200)).body as { stock: number }).stock;

  async function buyer(api: TestApi) {
    const shopper = await registerUser(api.url);
    return { shopper, addressId: await createAddress(api.url, shopper) };
  }
  const placeOrder = async (api: TestApi, shopper: SignedInUser, addressId: string, productId: string, quantity = 2) =>
    (
      await request(api.url)
        .post('/api/orders')
        .set(bearer(shopper))
        .send({ items: [{ productId, quantity }], addressId })
        .expect(201)
    ).body as { id: string; expiresAt: string };

  describe('GET /api/stock', () => {
    it('when asked for known and unknown ids, then it answers the stock of the known ones with their seq', async () => {
      const [first, second] = [
        await createProduct(apiA.url, admin, { stock: 4 }),
        await createProduct(apiA.url, admin, { stock: 0 }),
      ];
      const response = await request(apiB.url)
        .get('/api/stock')
        .query({ productIds: `${first},${second},no-such-product,${first}` })
        .expect(200);
      assert.equal(response.headers['cache-control'], 'no-store');
      const body = response.body as StockSnapshot;
      assert.deepEqual(body.stock, { [first]: 4, [second]: 0 });
      assert.deepEqual(Object.keys(body.seq).sort(), [first, second].sort());
    });

    it('when more than 100 ids or none are asked for, then 400 VALIDATION_FAILED', async () => {
      const many = Array.from({ length: 101 }, (_, i) => `p${i}`).join(',');
      const tooMany = await request(apiA.url).get('/api/stock').query({ productIds: many }).expect(400);
      assert.equal(tooMany.body.error.code, 'VALIDATION_FAILED');
      await request(apiA.url).get('/api/stock').expect(400);
      await request(apiA.url).get('/api/stock').query({ productIds: 'a,,b' }).expect(400);
    });

    it('when the OpenAPI document is read, then it describes GET /api/stock', async () => {
      const document = (await request(apiA.url).get('/api/docs/openapi.json').expect(200)).body;
      const operation = document.paths['/api/stock']?.get;
      assert.ok(operation, 'GET /api/stock is documented');
      assert.equal(operation.parameters?.[0]?.name, 'productIds');
      assert.ok(operation.responses['200']);
    });
  });

  describe('stock events', () => {
    it('when a watcher on realtime B watches, then the ack carries the stock the API shows', async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 10 });
      const socket = await pool.connect(urlB);
      const ack = await watch(socket, [productId]);
      assert.deepEqual(ack.stock, { [productId]: 10 });
      assert.equal(typeof ack.seq[productId], 'number');
      assert.equal(await stockOn(apiB, productId), 10);
    });

    it('when orders are placed and cancelled and stock is restocked through API A, then a watcher on realtime B sees each change within 500 ms, seq growing', async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 10 });
      const { shopper, addressId } = await buyer(apiA);
      const socket = await pool.connect(urlB);
      const seen = record(socket);
      const ack = await watch(socket, [productId]);
      let highestSeq = ack.seq[productId] ?? 0;

      const expectChange = async (expected: number, change: () => Promise<unknown>) => {
        await sleep(150); // apart from the previous change, so pacing does not merge them
        const startedAt = Date.now();
        await change();
        const event = await until(
          () => seen.stock.find((e) => e.seq > highestSeq && e.stock === expected),
          2_000,
          `stock ${expected}`,
        );
        assert.ok(
          event.receivedAt - startedAt <= DELIVERY_BOUND_MS,
          `stock ${expected} arrived ${event.receivedAt - startedAt} ms after the change started`,
        );
        assert.equal(event.productId, productId);
        highestSeq = event.seq;
        assert.equal(await stockOn(apiB, productId), expected, 'the event says what the API says');
      };

      const order = await (async () => {
        let placed: { id: string } | undefined;
        await expectChange(8, async () => {
          placed = await placeOrder(apiA, shopper, addressId, productId);
        });
        return placed as { id: string };
      })();
      await expectChange(10, () =>
        request(apiA.url).post(`/api/orders/${order.id}/cancel`).set(bearer(shopper)).expect(200),
      );
      await expectChange(15, () =>
        request(apiA.url).post(`/api/products/${productId}/stock`).set(bearer(admin)).send({ delta: 5 }).expect(200),
      );
      await expectChange(12, () =>
        request(apiA.url).post(`/api/products/${productId}/stock`).set(bearer(admin)).send({ delta: -3 }).expect(200),
      );
      for (let i = 1; i < seen.stock.length; i++) {
        assert.ok((seen.stock[i]?.seq ?? 0) > (seen.stock[i - 1]?.seq ?? 0), 'seq grows with every event');
      }
    });

    it('when bursts of restocks come through both APIs, then watchers get few events, growing seq, and end on the truth', async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 0 });
      const socket = await pool.connect(urlA);
      const seen = record(socket);
      await watch(socket, [productId]);
      const startedAt = Date.now();
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          request((i % 2 === 0 ? apiA : apiB).url)
            .post(`/api/products/${productId}/stock`)
            .set(bearer(admin))
            .send({ delta: 1 })
            .expect(200),
        ),
      );
      const elapsed = Date.now() - startedAt;
      const last = await until(() => seen.stock.find((e) => e.stock === 30), 1_000, 'the final stock');
      await sleep(400);
      assert.equal(seen.stock.at(-1), last, 'nothing older comes after the final value');
      assert.ok(
        seen.stock.length <= Math.ceil((last.receivedAt - startedAt) / 100) + 2,
        `${seen.stock.length} events for 30 changes in ${elapsed} ms`,
      );
      for (let i = 1; i < seen.stock.length; i++) {
        assert.ok((seen.stock[i]?.seq ?? 0) > (seen.stock[i - 1]?.seq ?? 0), 'seq grows');
      }
      const rewatch = await watch(await pool.connect(urlB), [productId]);
      assert.equal(rewatch.stock[productId], 30);
      assert.equal(rewatch.seq[productId], last.seq, 'a fresh watch starts at the last seq sent');
    });
  });

  describe('order:updated', () => {
    it("when a buyer's order is placed and paid through API B, then the buyer's socket on realtime A sees both, and nobody else does", async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 5 });
      const { shopper, addressId } = await buyer(apiB);
      const other = await registerUser(apiA.url);
      const buyerSocket = await pool.connect(urlA, { token: shopper.accessToken });
      const mine = record(buyerSocket);
      const strangers = [
        await pool.connect(urlA, { token: other.accessToken }),
        await pool.connect(urlB, { token: other.accessToken }),
        await pool.connect(urlB),
      ].map(record);

      const order = await placeOrder(apiB, shopper, addressId, productId);
      const placed = await until(() => mine.orders.find((e) => e.orderId === order.id), 2_000, 'order placed');
      assert.equal(placed.status, 'PENDING_PAYMENT');
      assert.equal(placed.expiresAt, order.expiresAt);
      assert.ok(Math.abs(Date.parse(placed.serverTime) - Date.now()) < 2_000);
      assert.equal(placed.cancelReason, undefined);

      await request(apiB.url)
        .post(`/api/orders/${order.id}/pay`)
        .set(bearer(shopper))
        .send({ method: 'sandbox', token: 'tok_ok' })
        .expect(200);
      const paid = await until(() => mine.orders.find((e) => e.status === 'PAID'), 2_000, 'order paid');
      assert.equal(paid.orderId, order.id);

      await sleep(300);
      assert.equal(mine.orders.length, 2);
      for (const stranger of strangers) assert.deepEqual(stranger.orders, []);
    });

    it('when the buyer cancels, then the buyer sees CANCELLED by USER, and nobody else does', async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 5 });
      const { shopper, addressId } = await buyer(apiA);
      const mine = record(await pool.connect(urlB, { token: shopper.accessToken }));
      const stranger = record(await pool.connect(urlB, { token: (await registerUser(apiA.url)).accessToken }));
      const order = await placeOrder(apiA, shopper, addressId, productId);
      await request(apiA.url).post(`/api/orders/${order.id}/cancel`).set(bearer(shopper)).expect(200);
      const cancelled = await until(() => mine.orders.find((e) => e.status === 'CANCELLED'), 2_000, 'cancel');
      assert.equal(cancelled.cancelReason, 'USER');
      assert.equal(cancelled.orderId, order.id);
      await sleep(200);
      assert.deepEqual(stranger.orders, []);
    });

    it('when nobody pays in time, then the buyer sees CANCELLED by PAYMENT_TIMEOUT and watchers see the stock come back within 500 ms', async () => {
      const productId = await createProduct(apiA.url, admin, { stock: 6 });
      const { shopper, addressId } = await buyer(apiA);
      const buyerSocket = await pool.connect(urlA, { token: shopper.accessToken });
      const mine = record(buyerSocket);
      const watcher = await pool.connect(urlB);
      const watched = record(watcher);
      await watch(watcher, [productId]);
      const stranger = record(await pool.connect(urlB, { token: (await registerUser(apiA.url)).accessToken }));

      const order = await placeOrder(apiA, shopper, addressId, productId, 3);
      await until(() => watched.stock.find((e) => e.stock === 3), 2_000, 'stock taken');
      const expired = await until(
        () => mine.orders.find((e) => e.status === 'CANCELLED'),
        PAYMENT_TTL_MS + 4_000,
        'expiry',
      );
      assert.equal(expired.cancelReason, 'PAYMENT_TIMEOUT');
      assert.equal(expired.orderId, order.id);
      assert.ok(expired.receivedAt >= Date.parse(order.expiresAt), 'never before the deadline');

      const cancelledAt = Date.parse(
        (
          (await request(apiA.url).get(`/api/orders/${order.id}`).set(bearer(shopper)).expect(200)).body as {
            cancelledAt: string;
          }
        ).cancelledAt,
      );
      const back = await until(() => watched.stock.find((e) => e.stock === 6), 2_000, 'stock back');
      assert.ok(
        back.receivedAt - cancelledAt <= DELIVERY_BOUND_MS,
        `stock came back to watchers ${back.receivedAt - cancelledAt} ms after the expiry`,
      );
      assert.deepEqual(
        mine.orders.map((e) => e.status),
        ['PENDING_PAYMENT', 'CANCELLED'],
      );
      assert.deepEqual(stranger.orders, []);
    });
  });

  describe('handshake and payloads on the running system', () => {
    it('when the token the API issued is used, then the socket connects; forged, tampered or expired ones get unauthorized', async () => {
      const shopper = await registerUser(apiA.url);
      assert.equal((await pool.connect(urlA, { token: shopper.accessToken })).connected, true);

      const refusal = async (token: string) =>
        pool.connect(urlB, { token }).then(
          () => 'connected',
          (error: Error) => error.message,
        );
      const identity = { userId: shopper.user.id, role: 'customer' as const };
      const forged = await signAccessToken(identity, accessTokenKey(randomBytes(32).toString('hex')), 300);
      const expired = await signAccessToken(identity, accessTokenKey(TEST_JWT_SECRET), -60);
      const [header, payload, signature] = shopper.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
      const tampered = [
        header,
        Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url'),
        signature,
      ].join('.');
      assert.equal(await refusal(forged), 'unauthorized');
      assert.equal(await refusal(expired), 'unauthorized');
      assert.equal(await refusal(tampered), 'unauthorized');
    });

    it('when product:watch gets a bad payload, then the ack is ok:false', async () => {
      const socket = await pool.connect(urlA);
      for (const payload of [undefined, {}, { productIds: [] }, { productIds: [42] }, { productIds: ['a'], x: 1 }]) {
        const ack = await socket.timeout(2_000).emitWithAck('product:watch', payload);
        assert.equal(ack.ok, false, JSON.stringify(payload));
      }
    });
  });
});
