import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  ProductWatchPayload,
  UNAUTHORIZED_MESSAGE,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type UnwatchAck,
  type WatchAck,
} from '@vitrine/contracts';
import { accessTokenKey, InvalidAccessToken, verifyAccessToken } from '@vitrine/contracts/access-token';
import { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import type { ZodError } from 'zod';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { productRoom, userRoom } from './rooms.js';

export type RealtimeIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface RealtimeServer {
  /** Waits for Redis, then accepts connections; resolves with the bound port (useful with PORT=0). */
  listen(): Promise<{ port: number }>;
  /** Disconnects every socket, closes Socket.IO, the HTTP server and both Redis clients. */
  close(): Promise<void>;
  readonly io: RealtimeIo;
}

export type RealtimeServerConfig = Pick<Config, 'port' | 'redisUrl' | 'redisKeyPrefix' | 'jwtSecret' | 'corsOrigins'>;

const MAX_HTTP_BUFFER_BYTES = 16 * 1024;
const REDIS_READY_TIMEOUT_MS = 10_000;

/** Builds the realtime process: an HTTP server with `/health`, and a Socket.IO server fanned out over Redis. */
export function createRealtimeServer(config: RealtimeServerConfig, logger: Logger): RealtimeServer {
  const httpServer = createServer((request, response) => answerHttp(request, response));
  const io: RealtimeIo = new Server(httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: MAX_HTTP_BUFFER_BYTES,
    cors: { origin: [...config.corsOrigins] },
  });

  const pubClient = createRedisClient(config.redisUrl, 'pub', logger);
  const subClient = createRedisClient(config.redisUrl, 'sub', logger);
  io.adapter(createAdapter(pubClient, subClient, { key: `${config.redisKeyPrefix}socket.io` }));

  const tokenKey = accessTokenKey(config.jwtSecret);
  io.use((socket, next) => {
    authenticate(socket, tokenKey, logger).then(
      () => next(),
      () => next(new Error(UNAUTHORIZED_MESSAGE)),
    );
  });
  io.on('connection', (socket) => onConnection(io, socket, logger));

  function redisReady(): boolean {
    return pubClient.status === 'ready' && subClient.status === 'ready';
  }

  function answerHttp(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health' && (request.method === 'GET' || request.method === 'HEAD')) {
      if (redisReady()) {
        sendJson(response, 200, { status: 'ok', connections: io.of('/').sockets.size });
      } else {
        sendJson(response, 503, { status: 'unavailable' });
      }
      return;
    }
    sendJson(response, 404, { error: { code: 'NOT_FOUND', message: 'Not found' } });
  }

  return {
    io,
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
      return { port: (httpServer.address() as AddressInfo).port };
    },
    async close() {
      // `local`: a bare io.disconnectSockets() goes through the adapter and would drop every process's sockets.
      io.local.disconnectSockets(true);
      // Also closes the HTTP server (an error for a server that never listened is ignored there).
      await io.close();
      await Promise.all([closeRedis(pubClient), closeRedis(subClient)]);
    },
  };
}

async function authenticate(socket: RealtimeSocket, tokenKey: Uint8Array, logger: Logger): Promise<void> {
  const token: unknown = socket.handshake.auth['token'];
  if (token === undefined || token === null) {
    socket.data = { userId: null, role: null };
    return;
  }
  try {
    if (typeof token !== 'string') throw new InvalidAccessToken('not a string');
    const identity = await verifyAccessToken(token, tokenKey);
    socket.data = { userId: identity.userId, role: identity.role };
  } catch (error) {
    const reason = error instanceof InvalidAccessToken ? error.message : 'unexpected verification failure';
    if (!(error instanceof InvalidAccessToken)) logger.error('handshake verification failed', { err: error });
    logger.debug('handshake refused', { client: { address: socket.handshake.address }, reason });
    throw error;
  }
}

function onConnection(io: RealtimeIo, socket: RealtimeSocket, logger: Logger): void {
  const { userId } = socket.data;
  if (userId !== null) void socket.join(userRoom(userId));
  logger.debug('socket connected', {
    socket: { id: socket.id },
    user: { id: userId ?? undefined },
    connections: io.of('/').sockets.size,
  });

  socket.on('product:watch', (payload, ack) => {
    const call = splitAck<WatchAck>(payload, ack);
    const parsed = ProductWatchPayload.safeParse(call.payload);
    if (!parsed.success) {
      call.reply({ ok: false, error: describeIssue(parsed.error) });
      return;
    }
    void socket.join(parsed.data.productIds.map(productRoom));
    // Stock values come from the inventory in a later issue; until then the ack carries none.
    call.reply({ ok: true, stock: {} });
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

function createRedisClient(url: string, role: 'pub' | 'sub', logger: Logger): Redis {
  const client = new Redis(url, { connectionName: `vitrine-realtime-${role}` });
  // ioredis reports every failed reconnect attempt; log the first of an outage and its end, not each retry.
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn('redis connection error', { err: error, redis: { client: role } });
  });
  client.on('ready', () => {
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
