#!/usr/bin/env node
// The ORIGINAL design, for comparison in bench/orders/hot-product.mjs: a Redis lock per product
// held around read-check-write. Minimal on purpose (node:http + mysql2 pool + ioredis, no ORM, no
// outbox, no ledger, no expiry job), on the same MariaDB schema the API created (products,
// addresses, stock_levels, orders, order_items), so that whatever it is slower at is the lock.
//
// POST /api/orders {items: [{productId, quantity}], addressId} with `Authorization: Bearer <the
// API's access token>` (HS256 checked with JWT_SECRET, as the API does):
//   1. the address (owned by the caller) and the products' name/price are read, no lock held, and
//      kept in memory after the first read, so that the database pool serves only the locked
//      transactions and a lock holder never waits for a connection behind unlocked reads (the
//      baseline's best case);
//   2. for each product, in id order, a lock `SET <prefix>redlock:product:<id> <token> NX PX 2000`,
//      retried like Redlock's defaults: up to 10 attempts, 50–100 ms jittered delay between them;
//      still not acquired → 409 LOCK_FAILED (and the locks taken so far are released);
//   3. one transaction: SELECT available per product, check, UPDATE, INSERT the order and its
//      items, COMMIT (a short product → ROLLBACK, 409 OUT_OF_STOCK);
//   4. the locks are released (Lua compare-and-delete).
// GET /health → 200. Environment: PORT, DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, JWT_SECRET,
// ORDER_PAYMENT_TTL_MS [300000], BASELINE_POOL [20, like the API's Sequelize pool].
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const requireFromApi = createRequire(join(root, 'api/package.json'));
const mysql = requireFromApi('mysql2/promise');
const { Redis } = requireFromApi('ioredis');

const env = process.env;
const prefix = env.REDIS_KEY_PREFIX ?? 'vitrine-baseline:';
const jwtKey = Buffer.from(env.JWT_SECRET ?? '', 'utf8');
const ttlMs = Number(env.ORDER_PAYMENT_TTL_MS ?? 300_000);
const LOCK_TTL_MS = 2_000;
const LOCK_ATTEMPTS = 10;
const RETRY_DELAY_MS = 50;
const RETRY_JITTER_MS = 50;
const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const pool = mysql.createPool({
  uri: env.DATABASE_URL.replace(/^mariadb:/, 'mysql:'),
  connectionLimit: Number(env.BASELINE_POOL ?? 20),
  timezone: 'Z',
  supportBigNumbers: true,
});
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const stats = { lockAttempts: 0, lockFailures: 0, outOfStock: 0, created: 0 };

const addresses = new Map();
const productCache = new Map();

async function addressOf(userId, addressId) {
  const key = `${userId}/${addressId}`;
  if (!addresses.has(key)) {
    const [[address]] = await pool.query(
      'SELECT recipient, phone, line1, line2, city, postal_code AS postalCode, country FROM addresses WHERE id = ? AND user_id = ?',
      [addressId, userId],
    );
    addresses.set(key, address ?? null);
  }
  return addresses.get(key);
}

async function productsOf(productIds) {
  const missing = productIds.filter((id) => !productCache.has(id));
  if (missing.length > 0) {
    const [rows] = await pool.query(
      'SELECT id, name, price, currency FROM products WHERE id IN (?) AND deleted_at IS NULL',
      [missing],
    );
    for (const row of rows) productCache.set(row.id, row);
  }
  return productIds.map((id) => productCache.get(id)).filter(Boolean);
}

class Refusal extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** HS256 JWT as the API issues it: signature, expiry, issuer, audience, token use. */
function verifyToken(header) {
  const token = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) throw new Refusal(401, 'UNAUTHENTICATED', 'Authentication required');
  const expected = createHmac('sha256', jwtKey).update(`${parts[0]}.${parts[1]}`).digest();
  const presented = Buffer.from(parts[2], 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new Refusal(401, 'UNAUTHENTICATED', 'Invalid access token');
  }
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  if (claims.exp * 1000 < Date.now() || claims.iss !== 'vitrine' || claims.token_use !== 'access' || !claims.sub) {
    throw new Refusal(401, 'UNAUTHENTICATED', 'Invalid access token');
  }
  return claims.sub;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function acquire(key) {
  const token = randomUUID();
  for (let attempt = 1; attempt <= LOCK_ATTEMPTS; attempt++) {
    stats.lockAttempts++;
    if ((await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') return token;
    if (attempt < LOCK_ATTEMPTS) await sleep(RETRY_DELAY_MS + Math.random() * RETRY_JITTER_MS);
  }
  return null;
}

async function placeOrder(userId, body) {
  const lines = new Map();
  for (const item of body?.items ?? []) {
    if (typeof item?.productId !== 'string' || !Number.isInteger(item.quantity) || item.quantity < 1) {
      throw new Refusal(400, 'VALIDATION_FAILED', 'bad items');
    }
    lines.set(item.productId, (lines.get(item.productId) ?? 0) + item.quantity);
  }
  if (lines.size === 0 || typeof body.addressId !== 'string') throw new Refusal(400, 'VALIDATION_FAILED', 'bad body');
  const productIds = [...lines.keys()].sort();

  const address = await addressOf(userId, body.addressId);
  if (!address) throw new Refusal(404, 'NOT_FOUND', 'Address not found');
  const products = await productsOf(productIds);
  if (products.length !== productIds.length) throw new Refusal(404, 'NOT_FOUND', 'Product not found');
  const byId = new Map(products.map((product) => [product.id, product]));

  const held = [];
  try {
    for (const productId of productIds) {
      const key = `${prefix}redlock:product:${productId}`;
      const token = await acquire(key);
      if (!token) {
        stats.lockFailures++;
        throw new Refusal(409, 'LOCK_FAILED', 'Could not lock the product; try again');
      }
      held.push({ key, token });
    }
    const connection = await pool.getConnection();
    try {
      await connection.beginTransaction();
      for (const productId of productIds) {
        const [[level]] = await connection.query('SELECT available FROM stock_levels WHERE product_id = ?', [
          productId,
        ]);
        if (!level || level.available < lines.get(productId)) {
          stats.outOfStock++;
          throw new Refusal(409, 'OUT_OF_STOCK', 'Not enough stock for this order');
        }
        await connection.query('UPDATE stock_levels SET available = ?, updated_at = NOW(3) WHERE product_id = ?', [
          level.available - lines.get(productId),
          productId,
        ]);
      }
      const id = randomUUID();
      const now = new Date();
      const expiresAt = new Date(now.getTime() + ttlMs);
      const items = productIds.map((productId) => ({
        productId,
        name: byId.get(productId).name,
        price: Number(byId.get(productId).price),
        quantity: lines.get(productId),
      }));
      const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);
      await connection.query(
        `INSERT INTO orders (id, user_id, status, total, currency, address, expires_at, created_at, updated_at)
         VALUES (?, ?, 'PENDING_PAYMENT', ?, ?, ?, ?, ?, ?)`,
        [id, userId, total, products[0].currency, JSON.stringify(address), expiresAt, now, now],
      );
      await connection.query('INSERT INTO order_items (order_id, product_id, name, price, quantity) VALUES ?', [
        items.map((item) => [id, item.productId, item.name, item.price, item.quantity]),
      ]);
      await connection.commit();
      stats.created++;
      return {
        id,
        status: 'PENDING_PAYMENT',
        items,
        total,
        currency: products[0].currency,
        address,
        expiresAt: expiresAt.toISOString(),
        serverTime: new Date().toISOString(),
        createdAt: now.toISOString(),
      };
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      connection.release();
    }
  } finally {
    await Promise.all(held.map(({ key, token }) => redis.eval(RELEASE_IF_OWNER, 1, key, token).catch(() => undefined)));
  }
}

function reply(res, status, body) {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok' });
  if (req.method === 'GET' && req.url === '/stats') return reply(res, 200, stats);
  if (req.method !== 'POST' || req.url !== '/api/orders') {
    return reply(res, 404, { error: { code: 'NOT_FOUND', message: 'Unknown route' } });
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    (async () => {
      const userId = verifyToken(req.headers.authorization);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      reply(res, 201, await placeOrder(userId, body));
    })().catch((error) => {
      if (error instanceof Refusal) reply(res, error.status, { error: { code: error.code, message: error.message } });
      else if (error instanceof SyntaxError)
        reply(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'bad JSON' } });
      else reply(res, 500, { error: { code: 'INTERNAL', message: error.message } });
    });
  });
});
server.keepAliveTimeout = 5_000;
server.listen(Number(env.PORT ?? 4100), '127.0.0.1');

const shutdown = () => {
  server.close();
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
  Promise.allSettled([pool.end(), redis.quit()]).finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
