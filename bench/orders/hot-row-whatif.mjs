#!/usr/bin/env node
// `npm run bench:orders:hot-row -w bench`: what the hot product's database row allows, apart from
// the API's own CPU. A diagnostic for bench/orders/hot-product.mjs, not one of the issue's
// benchmarks. It builds nothing: run `npm run build -w contracts -w api` first.
//
// The API is started once, only to create the schema in a fresh database, and stopped. Then 40
// connections (two API processes' Sequelize pools of 20) place orders for ONE product straight over
// mysql2, with the statements the API sends for an order (census of hot-product.mjs), in three
// orders of play, BENCH_DURATION s each:
//   as-is:       SET TRANSACTION ISOLATION LEVEL; START TRANSACTION; UPDATE stock_levels (the row
//                lock is taken here); INSERT stock_ledger; SELECT stock_levels; INSERT outbox;
//                INSERT orders; INSERT order_items; INSERT outbox; COMMIT;
//   update-last: the same statements, the conditional UPDATE moved just before COMMIT (the SELECT of
//                the new level after it), so the row is locked for two round trips, not eight;
//   batched-20:  20 orders per transaction: one UPDATE … available = available - 20 WHERE
//                available >= 20, multi-row INSERTs, one COMMIT.
// Reported: orders/s, commits/s, p50/p99 of one transaction, row-lock waits (global counters).
// Settings: BENCH_DURATION [10], BENCH_CONNECTIONS [40], BENCH_BATCH [20], BENCH_MYSQL_URL, BENCH_REDIS_URL.
import { randomUUID } from 'node:crypto';
import {
  common,
  connectDb,
  counterDelta,
  cpuMeter,
  createProduct,
  createRun,
  dbCounters,
  findPid,
  log,
  loginAdmin,
  machine,
  mysql,
  percentile,
  registerShoppers,
  requireBuild,
  round,
  runBenchmark,
  writeResults,
} from './_harness.mjs';

const settings = {
  durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 40),
  batch: Number(process.env.BENCH_BATCH ?? 20),
  mysqlServer: common.mysqlServer,
};

requireBuild();
const run = createRun('orders-hot-row-whatif');

function orderRows(productId, userId, count) {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 300_000);
  const address = JSON.stringify({
    recipient: 'R',
    phone: '+82 10 1234 5678',
    line1: '1 Road',
    line2: null,
    city: 'Seoul',
    postalCode: '04524',
    country: 'KR',
  });
  const orders = [];
  const items = [];
  const ledger = [];
  const outbox = [];
  for (let index = 0; index < count; index++) {
    const id = randomUUID();
    orders.push([id, userId, 'PENDING_PAYMENT', 12900, 'KRW', address, expiresAt, now, now]);
    items.push([id, productId, 'hot', 12900, 1]);
    ledger.push([productId, -1, 'ORDER_RESERVED', id, now]);
    outbox.push([
      'order.placed',
      JSON.stringify({ orderId: id, userId, status: 'PENDING_PAYMENT', total: 12900 }),
      null,
      now,
    ]);
  }
  return { orders, items, ledger, outbox, now };
}

const insertOrders = (c, rows) =>
  c.query(
    'INSERT INTO orders (id, user_id, status, total, currency, address, expires_at, created_at, updated_at) VALUES ?',
    [rows.orders],
  );
const insertItems = (c, rows) =>
  c.query('INSERT INTO order_items (order_id, product_id, name, price, quantity) VALUES ?', [rows.items]);
const insertLedger = (c, rows) =>
  c.query('INSERT INTO stock_ledger (product_id, delta, reason, order_id, created_at) VALUES ?', [rows.ledger]);
const insertOutbox = (c, rows) =>
  c.query('INSERT INTO outbox_events (name, payload, trace_id, created_at) VALUES ?', [rows.outbox]);
const stockEvent = (c, productId, now) =>
  c.query('INSERT INTO outbox_events (name, payload, trace_id, created_at) VALUES (?, ?, NULL, ?)', [
    'stock.changed',
    JSON.stringify({ productId }),
    now,
  ]);
const take = async (c, productId, quantity) => {
  const [result] = await c.query(
    'UPDATE stock_levels SET available = available - ?, updated_at = NOW(3) WHERE product_id = ? AND available >= ?',
    [quantity, productId, quantity],
  );
  if (result.affectedRows !== 1) throw new Error('out of stock');
};
const readLevel = (c, productId) =>
  c.query('SELECT product_id, available, updated_at FROM stock_levels WHERE product_id = ?', [productId]);

const VARIANTS = {
  'as-is': {
    ordersPerTransaction: 1,
    async run(c, productId, userId) {
      const rows = orderRows(productId, userId, 1);
      await c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await c.query('START TRANSACTION');
      await take(c, productId, 1);
      await insertLedger(c, rows);
      await readLevel(c, productId);
      await stockEvent(c, productId, rows.now);
      await insertOrders(c, rows);
      await insertItems(c, rows);
      await insertOutbox(c, rows);
      await c.query('COMMIT');
    },
  },
  'update-last': {
    ordersPerTransaction: 1,
    async run(c, productId, userId) {
      const rows = orderRows(productId, userId, 1);
      await c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await c.query('START TRANSACTION');
      await insertLedger(c, rows);
      await stockEvent(c, productId, rows.now);
      await insertOrders(c, rows);
      await insertItems(c, rows);
      await insertOutbox(c, rows);
      await take(c, productId, 1);
      await readLevel(c, productId);
      await c.query('COMMIT');
    },
  },
  batched: {
    get ordersPerTransaction() {
      return settings.batch;
    },
    async run(c, productId, userId) {
      const rows = orderRows(productId, userId, settings.batch);
      await c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await c.query('START TRANSACTION');
      await insertLedger(c, rows);
      await stockEvent(c, productId, rows.now);
      await insertOrders(c, rows);
      await insertItems(c, rows);
      await insertOutbox(c, rows);
      await take(c, productId, settings.batch);
      await readLevel(c, productId);
      await c.query('COMMIT');
    },
  },
};

async function measure(name, variant, connections, productId, userId, statsConnection, pids) {
  const durations = [];
  let transactions = 0;
  let failures = 0;
  const db0 = await dbCounters(statsConnection);
  const meter = cpuMeter(pids);
  const deadline = performance.now() + settings.durationSeconds * 1000;
  const started = performance.now();
  await Promise.all(
    connections.map(async (c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await variant.run(c, productId, userId);
          transactions++;
          durations.push(performance.now() - t0);
        } catch {
          failures++;
          await c.query('ROLLBACK').catch(() => undefined);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const db = counterDelta(db0, await dbCounters(statsConnection));
  const cpu = meter.delta();
  const figures = {
    variant: name,
    ordersPerTransaction: variant.ordersPerTransaction,
    ordersPerSecond: round((transactions * variant.ordersPerTransaction) / seconds),
    transactionsPerSecond: round(transactions / seconds),
    transactionMs: { p50: round(percentile(durations, 50), 2), p99: round(percentile(durations, 99), 2) },
    failures,
    rowLockWaitsPerTransaction: transactions ? round(db.Innodb_row_lock_waits / transactions, 2) : null,
    rowLockTimeMsPerTransaction: transactions ? round(db.Innodb_row_lock_time / transactions, 2) : null,
    cpu: cpu.cpuSeconds,
    clientCpuSeconds: cpu.benchProcessCpuTotalSeconds,
  };
  log(
    `${name.padEnd(12)} ${String(figures.ordersPerSecond).padStart(8)} orders/s  ${String(figures.transactionsPerSecond).padStart(7)} commits/s  ` +
      `transaction p50 ${figures.transactionMs.p50} ms  p99 ${figures.transactionMs.p99} ms  ` +
      `row-lock waits/tx ${figures.rowLockWaitsPerTransaction}, wait ms/tx ${figures.rowLockTimeMsPerTransaction}  MariaDB CPU ${figures.cpu.mariadb} s`,
  );
  return figures;
}

async function main() {
  log(`hot row what-if: ${settings.connections} connections, one product, ${settings.durationSeconds} s per variant`);
  const api = await run.startApi('schema');
  const adminToken = await loginAdmin(run, api.url);
  const [shopper] = await registerShoppers(run, api.url, 1);
  const product = await createProduct(api.url, adminToken, { name: 'hot row', stock: 10_000_000 });
  await run.stopChildren();

  const connections = await Promise.all(
    Array.from({ length: settings.connections }, () =>
      mysql.createConnection({ uri: run.databaseUrl, timezone: 'Z', supportBigNumbers: true }),
    ),
  );
  const statsConnection = await connectDb(run.databaseUrl);
  const pids = { mariadb: findPid('mariadbd', 'mysqld') };
  const results = [];
  try {
    for (const [name, variant] of Object.entries(VARIANTS)) {
      results.push(await measure(name, variant, connections, product.id, shopper.userId, statsConnection, pids));
    }
  } finally {
    await Promise.all(connections.map((c) => c.end().catch(() => undefined)));
    await statsConnection.end();
  }
  const asIs = results.find((entry) => entry.variant === 'as-is');
  for (const entry of results) entry.overAsIs = round(entry.ordersPerSecond / asIs.ordersPerSecond, 2);
  log(`\nover as-is: ${results.map((entry) => `${entry.variant} ×${entry.overAsIs}`).join(', ')}`);
  writeResults('orders-hot-row-whatif', {
    benchmark: 'orders-hot-row-whatif',
    date: new Date().toISOString(),
    machine: machine(),
    settings: { ...settings, loadAverageAtStart: run.loadAverageAtStart },
    results,
  });
}

await runBenchmark(run, main);
