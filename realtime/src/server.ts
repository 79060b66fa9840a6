import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  MAX_WATCHED_PER_CALL,
  MAX_WATCHED_PER_SOCKET,
  ProductWatchPayload,
  RATE_LIMITED_MESSAGE,
  UNAUTHORIZED_MESSAGE,
  productRoom,
  userRoom,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type UnwatchAck,
  type WatchAck,
} from '@vitrine/contracts';
import {
  accessTokenKey,
  createAccessTokenVerifier,
  InvalidAccessToken,
  type AccessTokenVerifier,
} from '@vitrine/contracts/access-token';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import type { ZodError } from 'zod';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { createTokenBucket } from './rate-limit.js';
import { createStockClient, type StockClient } from './stock-client.js';

export type RealtimeIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface RealtimeServer {
  /** Waits for Redis, then accepts connections; resolves with the bound port (useful with PORT=0). */
  listen(): Promise<{ port: number }>;
  /**
   * Stops accepting, drops every local connection (clients see a transport close and reconnect,
   * to another process behind the load balancer), then closes Socket.IO, the HTTP server and Redis.
   */
  close(): Promise<void>;
  /**
   * Sends every locally watched product's current stock to its local watchers; done by itself when
   * the Redis subscription comes back after an outage, during which `stock` events may have been missed.
   */
  resyncStock(): Promise<void>;
  readonly io: RealtimeIo;
}

export type RealtimeServerConfig = Pick<
  Config,
  'port' | 'redisUrl' | 'redisKeyPrefix' | 'jwtSecret' | 'corsOrigins' | 'apiUrl' | 'socketEventsPerSecond'
>;

/** Far above a watch of 100 ids (~4 KB); a bigger message closes the connection. */
const MAX_HTTP_BUFFER_BYTES = 16 * 1024;
const REDIS_READY_TIMEOUT_MS = 10_000;
/** How often the connection count is logged (ECS), for dashboards and capacity alerts. */
const STATS_INTERVAL_MS = 60_000;
/** Refused events in a row after which a socket that keeps flooding is disconnected. */
const MAX_REFUSED_IN_A_ROW = 50;
const PRODUCT_ROOM_PREFIX = productRoom('');

/** Builds the realtime process: an HTTP server with `/health`, and a Socket.IO server fanned out over Redis. */
export function createRealtimeServer(config: RealtimeServerConfig, logger: Logger): RealtimeServer {
  const httpServer = createServer((request, response) => answerHttp(request, response));
  const io: RealtimeIo = new Server(httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    cors: { origin: [...config.corsOrigins] },
    // Connection-state recovery needs an adapter that keeps packets; the Redis pub/sub one does not, so a
    // reconnecting client watches again and starts from the ack (see contracts/src/realtime.ts).
  });

  const pubClient = createRedisClient(config.redisUrl, 'pub', logger);
  const subClient = createRedisClient(config.redisUrl, 'sub', logger, () => void resyncAfterOutage());
  io.adapter(createAdapter(pubClient, subClient, { key: `${config.redisKeyPrefix}socket.io` }));

  const stock = createStockClient({ apiUrl: config.apiUrl, logger });
  const verifyAccessToken = createAccessTokenVerifier(accessTokenKey(config.jwtSecret));
  io.use((socket, next) => {
    authenticate(socket, verifyAccessToken, logger).then(
      () => next(),
      () => next(new Error(UNAUTHORIZED_MESSAGE)),
    );
  });
  io.on('connection', (socket) =>
    onConnection(io, socket, { stock, logger, eventsPerSecond: config.socketEventsPerSecond }),
  );

  let statsTimer: NodeJS.Timeout | undefined;
  let listening = false;
  let closing = false;

  function redisReady(): boolean {
    return pubClient.status === 'ready' && subClient.status === 'ready';
  }

  function answerHttp(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health' && (request.method === 'GET' || request.method === 'HEAD')) {
      if (redisReady() && !closing) {
        sendJson(response, 200, { status: 'ok', connections: io.of('/').sockets.size });
      } else {
        sendJson(response, 503, { status: closing ? 'stopping' : 'unavailable', redis: redisReady() ? 'ok' : 'down' });
      }
      return;
    }
    sendJson(response, 404, { error: { code: 'NOT_FOUND', message: 'Not found' } });
  }

  function logStats(): void {
    logger.info('realtime connections', {
      connections: io.of('/').sockets.size,
      watchedProducts: localProductRooms().length,
    });
  }

  function localProductRooms(): string[] {
    return [...io.of('/').adapter.rooms.keys()].filter((room) => room.startsWith(PRODUCT_ROOM_PREFIX));
  }

  async function resyncStock(): Promise<void> {
    const productIds = localProductRooms().map((room) => room.slice(PRODUCT_ROOM_PREFIX.length));
    for (let start = 0; start < productIds.length; start += MAX_WATCHED_PER_CALL) {
      const snapshot = await stock.snapshot(productIds.slice(start, start + MAX_WATCHED_PER_CALL));
      const at = new Date().toISOString();
      for (const [productId, value] of Object.entries(snapshot.stock)) {
        const seq = snapshot.seq[productId] ?? 0;
        // Seq 0: no event was ever sent, so none can have been missed.
        if (seq > 0) io.local.to(productRoom(productId)).emit('stock', { productId, stock: value, seq, at });
      }
    }
  }

  async function resyncAfterOutage(): Promise<void> {
    if (!listening || closing) return;
    try {
      // Once this answers, the subscriptions ioredis restores on reconnect are live again.
      await subClient.ping();
      await resyncStock();
      logger.info('stock resent to local watchers after a Redis outage');
    } catch (error) {
      logger.warn('stock not resent after a Redis outage; clients catch up on their next watch', { err: error });
    }
  }

  return {
    io,
    resyncStock,
    async listen() {
      await Promise.all([untilReady(pubClient, 'pub'), untilReady(subClient, 'sub')]);
      // Commands run in order on one connection, so once this PING answers, the adapter's subscriptions are live
      // and an emit from another realtime process can no longer slip past this one.
      await subClient.ping();
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      listening = true;
      statsTimer = setInterval(logStats, STATS_INTERVAL_MS);
      statsTimer.unref();
      return { port: (httpServer.address() as AddressInfo).port };
    },
    async close() {
      closing = true;
      if (statsTimer) clearInterval(statsTimer);
      const connections = io.of('/').sockets.size;
      // No new connections here first, so the dropped clients reconnect to another process.
      if (httpServer.listening) httpServer.close();
      stock.close();
      // Closes every local transport without a DISCONNECT packet (after which a client would give up), so clients
      // reconnect; then the HTTP server (an error for a server closed already is ignored there).
      await io.close();
      await Promise.all([closeRedis(pubClient), closeRedis(subClient)]);
      if (listening) logger.info('realtime connections closed', { connections });
    },
  };
}

async function authenticate(
  socket: RealtimeSocket,
  verifyAccessToken: AccessTokenVerifier,
  logger: Logger,
): Promise<void> {
  const token: unknown = socket.handshake.auth['token'];
  if (token === undefined || token === null) {
    socket.data = { userId: null, role: null };
    return;
  }
  try {
    if (typeof token !== 'string') throw new InvalidAccessToken('not a string');
    const identity = await verifyAccessToken(token);
    socket.data = { userId: identity.userId, role: identity.role };
  } catch (error) {
    const reason = error instanceof InvalidAccessToken ? error.message : 'unexpected verification failure';
    if (!(error instanceof InvalidAccessToken)) logger.error('handshake verification failed', { err: error });
    logger.debug('handshake refused', { client: { address: socket.handshake.address }, reason });
    throw error;
  }
}

function onConnection(
  io: RealtimeIo,
  socket: RealtimeSocket,
  deps: { stock: StockClient; logger: Logger; eventsPerSecond: number },
): void {
  const { stock, logger } = deps;
  const { userId } = socket.data;
  // The handshake is built, so the first HTTP request of the session (several KB each) is no longer needed.
  (socket.conn as unknown as { request: unknown }).request = null;
  if (userId !== null) void socket.join(userRoom(userId));
  // winston formats a line before its level is checked, which thousands of connections a second would feel.
  if (logger.isDebugEnabled()) {
    logger.debug('socket connected', {
      socket: { id: socket.id },
      user: { id: userId ?? undefined },
      connections: io.of('/').sockets.size,
    });
  }

  const bucket = createTokenBucket(deps.eventsPerSecond, deps.eventsPerSecond * 2);
  let refusedInARow = 0;
  socket.use((packet, next) => {
    if (bucket.take()) {
      refusedInARow = 0;
      next();
      return;
    }
    refusedInARow++;
    const ack: unknown = packet.at(-1);
    if (typeof ack === 'function')
      (ack as (answer: { ok: false; error: string }) => void)({ ok: false, error: RATE_LIMITED_MESSAGE });
    if (refusedInARow === 1) {
      logger.warn('socket rate limited', {
        socket: { id: socket.id },
        user: { id: userId ?? undefined },
        event: { action: String(packet[0]) },
      });
    }
    if (refusedInARow >= MAX_REFUSED_IN_A_ROW) {
      logger.warn('socket disconnected for flooding', { socket: { id: socket.id }, user: { id: userId ?? undefined } });
      socket.disconnect(true);
    }
  });

  socket.on('product:watch', (payload, ack) => {
    const call = splitAck<WatchAck>(payload, ack);
    const parsed = ProductWatchPayload.safeParse(call.payload);
    if (!parsed.success) {
      call.reply({ ok: false, error: describeIssue(parsed.error) });
      return;
    }
    const productIds = [...new Set(parsed.data.productIds)];
    const joined = productIds.map(productRoom).filter((room) => !socket.rooms.has(room));
    const watching = [...socket.rooms].filter((room) => room.startsWith(PRODUCT_ROOM_PREFIX)).length;
    if (watching + joined.length > MAX_WATCHED_PER_SOCKET) {
      call.reply({ ok: false, error: `productIds: one connection watches at most ${MAX_WATCHED_PER_SOCKET} products` });
      return;
    }
    // Join first, then read: every change after the read arrives as a `stock` event, so none falls in between.
    void socket.join(joined);
    stock.snapshot(productIds).then(
      (snapshot) => call.reply({ ok: true, stock: snapshot.stock, seq: snapshot.seq }),
      () => {
        for (const room of joined) void socket.leave(room);
        call.reply({ ok: false, error: 'stock: temporarily unavailable; try again' });
      },
    );
  });

  socket.on('product:unwatch', (payload, ack) => {
    const call = splitAck<UnwatchAck>(payload, ack);
    const parsed = ProductWatchPayload.safeParse(call.payload);
    if (!parsed.success) {
      call.reply({ ok: false, error: describeIssue(parsed.error) });
      return;
    }
    for (const productId of parsed.data.productIds) void socket.leave(productRoom(productId));
    call.reply({ ok: true });
  });

  socket.on('disconnect', (reason) => {
    if (!logger.isDebugEnabled()) return;
    logger.debug('socket disconnected', {
      socket: { id: socket.id },
      user: { id: userId ?? undefined },
      reason,
      connections: io.of('/').sockets.size,
    });
  });
}

/**
 * Socket.IO puts the ack callback last, so `emit('product:watch', cb)` delivers the callback as the payload;
 * this sorts that out and yields a reply that is a no-op when the client asked for no answer.
 */
function splitAck<Answer>(payload: unknown, ack: unknown): { payload: unknown; reply: (answer: Answer) => void } {
  if (typeof ack === 'function') return { payload, reply: ack as (answer: Answer) => void };
  if (typeof payload === 'function') return { payload: undefined, reply: payload as (answer: Answer) => void };
  return { payload, reply: () => undefined };
}

/** One line naming the offending field, e.g. `productIds: Too big: expected array to have <=100 items`. */
function describeIssue(error: ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'payload: invalid';
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'payload';
  return `${field}: ${issue.message}`;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

function createRedisClient(url: string, role: 'pub' | 'sub', logger: Logger, onRestored?: () => void): Redis {
  const client = new Redis(url, { connectionName: `vitrine-realtime-${role}` });
  // ioredis reports every failed reconnect attempt; log the first of an outage and its end, not each retry.
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn('redis connection error', { err: error, redis: { client: role } });
  });
  let readyBefore = false;
  client.on('ready', () => {
    // Any ready after the first is a reconnection, whether or not an error was reported in between. ioredis
    // restores the subscriptions right after emitting `ready`, so the callback runs after that.
    if (readyBefore && onRestored) setImmediate(onRestored);
    readyBefore = true;
    if (!down) return;
    down = false;
    logger.info('redis connection restored', { redis: { client: role } });
  });
  catchFireAndForget(
    client,
    role === 'pub' ? ['publish'] : ['psubscribe', 'subscribe', 'punsubscribe', 'unsubscribe'],
    (command, error) => logger.warn('redis command failed', { err: error, redis: { client: role, command } }),
  );
  return client;
}

type FireAndForgetCommand = 'publish' | 'psubscribe' | 'subscribe' | 'punsubscribe' | 'unsubscribe';

/**
 * The Redis adapter calls these without awaiting them; during a Redis outage their promises reject, and an
 * unhandled rejection would end the process. Attaching a handler keeps the original promise for any awaiter.
 */
function catchFireAndForget(
  client: Redis,
  commands: readonly FireAndForgetCommand[],
  onError: (command: FireAndForgetCommand, error: unknown) => void,
): void {
  for (const command of commands) {
    const original = (client[command] as (...args: unknown[]) => Promise<unknown>).bind(client);
    Object.assign(client, {
      [command]: (...args: unknown[]) => {
        const result = original(...args);
        result.catch((error: unknown) => onError(command, error));
        return result;
      },
    });
  }
}

function untilReady(client: Redis, role: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => settle(new Error(`Redis (${role}) not ready after ${REDIS_READY_TIMEOUT_MS} ms`)),
      REDIS_READY_TIMEOUT_MS,
    );
    const onReady = (): void => settle();
    const onEnd = (): void => settle(new Error(`Redis (${role}) connection ended`));
    function settle(error?: Error): void {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    }
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through to a hard disconnect.
    }
  }
  client.disconnect();
}
