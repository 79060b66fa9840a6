import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { productRoom, userRoom, type OrderUpdatedEvent } from '@vitrine/contracts';
import { accessTokenKey, signAccessToken } from '@vitrine/contracts/access-token';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRealtimeServer, type RealtimeServer } from '../src/server.js';
import { createClientPool, type TestClient } from './support/clients.js';
import { startStubApi, type StubApi } from './support/stub-api.js';

const JWT_SECRET = randomBytes(32).toString('hex');
const REDIS_KEY_PREFIX = `vitrine-test-${randomUUID()}:`;
let stubApi: StubApi;
let config: Config;
const logger = createLogger({ logLevel: 'error', nodeEnv: 'test' });

const servers: RealtimeServer[] = [];
const pool = createClientPool();
const connect = (url: string, auth?: Record<string, unknown>) => pool.connect(url, auth);

before(async () => {
  stubApi = await startStubApi();
  config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX,
    JWT_SECRET,
    LOG_LEVEL: 'error',
    API_URL: stubApi.url,
  });
});

async function startServer(): Promise<{ server: RealtimeServer; url: string }> {
  const server = createRealtimeServer(config, logger);
  servers.push(server);
  const { port } = await server.listen();
  return { server, url: `http://127.0.0.1:${port}` };
}

function tokenFor(userId: string, secret = JWT_SECRET, ttlSeconds = 300): Promise<string> {
  return signAccessToken({ userId, role: 'customer' }, accessTokenKey(secret), ttlSeconds);
}

async function connectErrorMessage(url: string, auth: Record<string, unknown>): Promise<string> {
  try {
    await connect(url, auth);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the connection was accepted');
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Resolves with the events `socket` receives within `ms`. */
function collectOrderUpdates(socket: TestClient, ms: number): Promise<OrderUpdatedEvent[]> {
  const received: OrderUpdatedEvent[] = [];
  socket.on('order:updated', (event) => received.push(event));
  return new Promise((resolve) => setTimeout(() => resolve(received), ms));
}

after(async () => {
  pool.closeAll();
  await Promise.all(servers.map((server) => server.close()));
  await stubApi.close();
});

describe('realtime handshake', () => {
  let url: string;

  before(async () => {
    ({ url } = await startServer());
  });

  it('when no token is given, then the socket connects anonymously', async () => {
    const socket = await connect(url);
    assert.equal(socket.connected, true);
  });

  it('when a valid token is given, then the socket connects', async () => {
    const socket = await connect(url, { token: await tokenFor(randomUUID()) });
    assert.equal(socket.connected, true);
  });

  it('when the token is signed with another key, then connect_error says unauthorized', async () => {
    const token = await tokenFor(randomUUID(), randomBytes(32).toString('hex'));
    assert.equal(await connectErrorMessage(url, { token }), 'unauthorized');
  });

  it('when the token has expired, then connect_error says unauthorized', async () => {
    const token = await tokenFor(randomUUID(), JWT_SECRET, -60);
    assert.equal(await connectErrorMessage(url, { token }), 'unauthorized');
  });

  it('when the token uses alg none, then connect_error says unauthorized', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      sub: randomUUID(),
      role: 'admin',
      token_use: 'access',
      iss: 'vitrine',
      aud: 'vitrine',
      iat: now,
      exp: now + 300,
    };
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
    assert.equal(await connectErrorMessage(url, { token }), 'unauthorized');
  });

  it('when the token is garbage, then connect_error says unauthorized', async () => {
    assert.equal(await connectErrorMessage(url, { token: 'not-a-jwt' }), 'unauthorized');
    assert.equal(await connectErrorMessage(url, { token: 42 }), 'unauthorized');
  });

  it('when /health is asked, then it answers 200 with the connection count', async () => {
    const response = await fetch(`${url}/health`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string; connections: number };
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.connections, 'number');
  });
});

describe('product:watch', () => {
  let server: RealtimeServer;
  let socket: TestClient;

  before(async () => {
    const started = await startServer();
    server = started.server;
    socket = await connect(started.url);
  });

  for (const [name, payload, field] of [
    ['an empty list', { productIds: [] }, 'productIds'],
    ['a string instead of a list', { productIds: 'x' }, 'productIds'],
    ['101 ids', { productIds: Array.from({ length: 101 }, () => randomUUID()) }, 'productIds'],
    ['an empty id', { productIds: ['ok', ''] }, 'productIds.1'],
    ['an unknown field', { productIds: [randomUUID()], role: 'admin' }, 'payload'],
  ] as const) {
    it(`when the payload has ${name}, then the ack is ok:false naming ${field}`, async () => {
      const ack = await socket.timeout(2000).emitWithAck('product:watch', payload);
      assert.equal(ack.ok, false);
      assert.ok(!ack.ok && ack.error.startsWith(`${field}: `), `error was ${JSON.stringify(ack)}`);
    });
  }

  it('when the payload is valid, then the ack carries the current stock and the socket is in the product rooms', async () => {
    const productIds = [randomUUID(), randomUUID()];
    stubApi.stock.set(productIds[0] ?? '', 7);
    stubApi.seq.set(productIds[0] ?? '', 42);
    stubApi.stock.set(productIds[1] ?? '', 0);
    const ack = await socket.timeout(2000).emitWithAck('product:watch', { productIds });
    assert.deepEqual(ack, {
      ok: true,
      stock: { [productIds[0] ?? '']: 7, [productIds[1] ?? '']: 0 },
      seq: { [productIds[0] ?? '']: 42, [productIds[1] ?? '']: 0 },
    });
    for (const productId of productIds) {
      const watchers = await server.io.in(productRoom(productId)).fetchSockets();
      assert.deepEqual(
        watchers.map((watcher) => watcher.id),
        [socket.id],
      );
    }
  });

  it('when unwatching, then the ack is ok:true and the socket leaves the room', async () => {
    const productId = randomUUID();
    await socket.timeout(2000).emitWithAck('product:watch', { productIds: [productId] });
    const ack = await socket.timeout(2000).emitWithAck('product:unwatch', { productIds: [productId] });
    assert.deepEqual(ack, { ok: true });
    assert.equal((await server.io.in(productRoom(productId)).fetchSockets()).length, 0);
  });

  it('when no ack callback is given, then the server carries on', async () => {
    socket.emit('product:watch', { productIds: [randomUUID()] });
    socket.emit('product:watch', { productIds: 'x' });
    socket.emit('product:unwatch', undefined);
    const ack = await socket.timeout(2000).emitWithAck('product:watch', { productIds: [randomUUID()] });
    assert.equal(ack.ok, true);
    assert.equal(socket.connected, true);
  });
});

describe('two realtime processes on one Redis', () => {
  let serverA: RealtimeServer;
  let urlB: string;

  before(async () => {
    ({ server: serverA } = await startServer());
    ({ url: urlB } = await startServer());
  });

  it("when A emits to a user's room, then that user's socket on B gets it and another user's does not", async () => {
    const alice = randomUUID();
    const aliceOnB = await connect(urlB, { token: await tokenFor(alice) });
    const bobOnB = await connect(urlB, { token: await tokenFor(randomUUID()) });
    const anonymousOnB = await connect(urlB);
    const event: OrderUpdatedEvent = {
      orderId: randomUUID(),
      status: 'PENDING_PAYMENT',
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
      serverTime: new Date().toISOString(),
    };
    const [toAlice, toBob, toAnonymous] = [aliceOnB, bobOnB, anonymousOnB].map((socket) =>
      collectOrderUpdates(socket, 500),
    );

    serverA.io.to(userRoom(alice)).emit('order:updated', event);

    assert.deepEqual(await toAlice, [event]);
    assert.deepEqual(await toBob, []);
    assert.deepEqual(await toAnonymous, []);
  });

  it('when one process closes, then sockets on the other stay connected', async () => {
    const { server: serverC } = await startServer();
    const onB = await connect(urlB);
    const disconnected = new Promise<boolean>((resolve) => {
      onB.once('disconnect', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });

    await serverC.close();

    assert.equal(await disconnected, false);
    assert.equal(onB.connected, true);
  });
});
