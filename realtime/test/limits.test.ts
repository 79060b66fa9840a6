import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_WATCHED_PER_CALL, MAX_WATCHED_PER_SOCKET, RATE_LIMITED_MESSAGE, productRoom } from '@vitrine/contracts';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRealtimeServer, type RealtimeServer } from '../src/server.js';
import { createClientPool, nextEvent, type TestClient } from './support/clients.js';
import { startStubApi, type StubApi } from './support/stub-api.js';

const logger = createLogger({ logLevel: 'error', nodeEnv: 'test' });
const pool = createClientPool();
const servers: RealtimeServer[] = [];
let stubApi: StubApi;

function configFor(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `vitrine-test-${randomUUID()}:`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'error',
    API_URL: stubApi.url,
    ...overrides,
  });
}

async function startServer(overrides: Record<string, string> = {}): Promise<{ server: RealtimeServer; url: string }> {
  const server = createRealtimeServer(configFor(overrides), logger);
  servers.push(server);
  const { port } = await server.listen();
  return { server, url: `http://127.0.0.1:${port}` };
}

const watch = (socket: TestClient, productIds: unknown[]) =>
  socket.timeout(3_000).emitWithAck('product:watch', { productIds });

before(async () => {
  stubApi = await startStubApi();
});

after(async () => {
  pool.closeAll();
  await Promise.all(servers.map((server) => server.close()));
  await stubApi.close();
});

describe('per-socket limits', () => {
  let url: string;
  let server: RealtimeServer;

  before(async () => {
    ({ url, server } = await startServer({ SOCKET_EVENTS_PER_SECOND: '5' }));
  });

  it('when a socket sends more events than its rate allows, then the extra ones are refused and later ones pass again', async () => {
    const socket = await pool.connect(url);
    const acks = await Promise.all(Array.from({ length: 20 }, () => watch(socket, [randomUUID()])));
    const refused = acks.filter((ack) => !ack.ok && ack.error === RATE_LIMITED_MESSAGE).length;
    assert.ok(refused >= 8 && refused <= 12, `${refused} of 20 refused with a burst of 10`);
    assert.equal(acks.filter((ack) => ack.ok).length, 20 - refused);

    await sleep(1_100);
    assert.equal((await watch(socket, [randomUUID()])).ok, true);
    assert.equal(socket.connected, true);
  });

  it('when a socket keeps flooding, then it is disconnected for good and other sockets are not', async () => {
    const flooder = await pool.connect(url);
    const bystander = await pool.connect(url);
    const disconnected = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
    for (let i = 0; i < 100; i++) flooder.emit('product:unwatch', { productIds: ['x'] });
    assert.equal(await disconnected, 'io server disconnect', 'a client does not reconnect after this');
    assert.equal(bystander.connected, true);
    assert.equal((await watch(bystander, [randomUUID()])).ok, true);
  });

  it('when a message is bigger than the limit, then the connection is closed', async () => {
    const socket = await pool.connect(url);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    socket.emit('product:watch', { productIds: ['x'.repeat(20_000)] });
    assert.equal(await disconnected, 'transport close');
  });

  it(`when a socket watches more than ${MAX_WATCHED_PER_SOCKET} products, then that watch is refused`, async () => {
    const socket = await pool.connect(url);
    const calls = MAX_WATCHED_PER_SOCKET / MAX_WATCHED_PER_CALL;
    for (let call = 0; call < calls; call++) {
      const ack = await watch(
        socket,
        Array.from({ length: MAX_WATCHED_PER_CALL }, () => randomUUID()),
      );
      assert.equal(ack.ok, true);
      if (call % 4 === 3) await sleep(1_000);
    }
    const refused = await watch(socket, [randomUUID()]);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.error : '', /^productIds: /);
    const serverSide = server.io.of('/').sockets.get(socket.id ?? '');
    const watched = [...(serverSide?.rooms ?? [])].filter((room) => room.startsWith('product:'));
    assert.equal(watched.length, MAX_WATCHED_PER_SOCKET, 'the earlier watches still hold');
  });
});

describe('product:watch and the API', () => {
  let url: string;
  let server: RealtimeServer;

  before(async () => {
    ({ url, server } = await startServer());
  });

  it('when the API cannot answer, then the ack is ok:false and the socket watches nothing', async () => {
    const socket = await pool.connect(url);
    const productId = randomUUID();
    stubApi.failWith = 503;
    try {
      const ack = await watch(socket, [productId]);
      assert.equal(ack.ok, false);
      assert.match(!ack.ok ? ack.error : '', /^stock: /);
    } finally {
      stubApi.failWith = undefined;
    }
    assert.equal((await server.io.in(productRoom(productId)).fetchSockets()).length, 0);
  });

  it('when many sockets watch at once, then they share a few API requests and each gets the stock', async () => {
    const productId = randomUUID();
    stubApi.stock.set(productId, 12);
    stubApi.seq.set(productId, 3);
    const sockets = await Promise.all(Array.from({ length: 50 }, () => pool.connect(url)));
    const before = stubApi.requests.length;
    const acks = await Promise.all(sockets.map((socket) => watch(socket, [productId])));
    for (const ack of acks) assert.deepEqual(ack, { ok: true, stock: { [productId]: 12 }, seq: { [productId]: 3 } });
    const requests = stubApi.requests.length - before;
    assert.ok(requests < 25, `${requests} API requests for 50 watches`);
  });

  it('when watches keep arriving, then the API gets at most about 10 requests a second', async () => {
    const socket = await pool.connect(url);
    const before = stubApi.requests.length;
    const startedAt = Date.now();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 15; i++) {
      acks.push(watch(socket, [randomUUID()]));
      await sleep(20);
    }
    await Promise.all(acks);
    const elapsed = Date.now() - startedAt;
    const requests = stubApi.requests.length - before;
    assert.ok(requests <= Math.ceil(elapsed / 100) + 1, `${requests} requests in ${elapsed} ms`);
  });

  it('when stock is resent after a Redis outage, then watchers get the snapshot with its seq', async () => {
    const socket = await pool.connect(url);
    const [sent, neverChanged] = [randomUUID(), randomUUID()];
    stubApi.stock.set(sent, 4).set(neverChanged, 9);
    stubApi.seq.set(sent, 17);
    await watch(socket, [sent, neverChanged]);
    const received: unknown[] = [];
    socket.on('stock', (event) => received.push(event));

    await server.resyncStock();
    await sleep(200);

    assert.equal(received.length, 1, 'a product never sent needs no resend');
    assert.deepEqual(
      { ...(received[0] as object), at: undefined },
      { productId: sent, stock: 4, seq: 17, at: undefined },
    );
  });
});

describe('graceful shutdown', () => {
  it('when a realtime process closes, then its clients see a transport close (so they reconnect) and /health stops answering ok', async () => {
    const { server, url } = await startServer();
    const socket = await pool.connect(url);
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await server.close();
    assert.equal(await reason, 'transport close');
    await assert.rejects(fetch(`${url}/health`));
  });

  it('when a stock event arrives for a product, then only its watchers get it', async () => {
    const { server, url } = await startServer();
    const watcher = await pool.connect(url);
    const other = await pool.connect(url);
    const productId = randomUUID();
    stubApi.stock.set(productId, 1);
    await watch(watcher, [productId]);
    await watch(other, [randomUUID()]);
    const got = nextEvent(watcher, 'stock');
    const notGot = nextEvent(other, 'stock', () => true, 300).then(
      () => 'received',
      () => 'none',
    );
    server.io.to(productRoom(productId)).emit('stock', { productId, stock: 0, seq: 2, at: new Date().toISOString() });
    assert.equal((await got).stock, 0);
    assert.equal(await notGot, 'none');
  });
});
