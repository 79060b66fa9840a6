#!/usr/bin/env node
// `npm run bench:orders:expiry -w bench`: a wave of unpaid orders reaching their deadline
// together. It builds nothing: run `npm run build -w contracts -w api` first.
//
// Two API processes (A, B; BENCH_PROCESSES) from api/dist on one fresh MariaDB database and
// Redis prefix, both running their expiry workers (the Bull delayed job per order and the sweeper).
// 100,000 unpaid orders (BENCH_ORDERS) whose deadlines are spread evenly over a 30 s window
// (BENCH_WINDOW) are then put in place DIRECTLY, not through HTTP (creating 100k orders over HTTP
// on this machine would take far longer than the window), with the shape the API writes:
//   - `orders` (PENDING_PAYMENT, uuid v7 ids, the shopper's address copied as the API copies it),
//     `order_items` (one line, quantity 1, over BENCH_PRODUCTS products created through the API),
//     `stock_levels` decremented by what the orders hold, one `stock_ledger` ORDER_RESERVED row per
//     order (so initial = buyable + held holds), multi-row INSERTs of 1,000;
//   - in Redis: the stock counters decremented the same, one reservation marker per order
//     (`<prefix>stock-reservation:<orderId>`, PX like the API's), and the Bull job per order on the
//     API's queue (`orders`, prefix `<prefix>bull`), built by the API's own `expiryJob` (from
//     api/dist: name `orders.expire-unpaid`, id `order-<orderId>-expire`, data {orderId, traceId},
//     due on the API's 20 ms grid at or after the deadline, its retry options), with Bull's addBulk.
//   Not written: the `order.placed`/`stock.changed` outbox rows (they would only be published as
//   orphans during the wave and measure the outbox, not expiry).
// The orders are inserted first with a placeholder deadline two hours away; once all are in, the
// window is set BENCH_LEAD seconds ahead (one UPDATE), then the jobs are queued; the run stops if
// they are not all queued 2 s before the window opens.
// Measured, from the database once every order is cancelled (or BENCH_GIVE_UP s after the window
// closed) and the API processes are stopped:
// lateness `cancelled_at − expires_at` p50/p99/max (cancelled_at is taken when the cancelling
// transaction starts), orders never cancelled (missed) and cancelled later than 2 s (the contract),
// orders with more than one ORDER_RELEASED ledger row (double restocks), orders cancelled without
// one, and per product: stock_levels.available = initial, ledger sum = available, Redis counter =
// available. Also, from the `order:updated` events the API publishes after commit (Redis
// Socket.IO channel), the lateness as a client could see it; CPU per process; progress every 5 s.
// Settings: BENCH_ORDERS [100000], BENCH_WINDOW [30 s], BENCH_PRODUCTS [10], BENCH_PROCESSES [2],
// BENCH_LEAD [60 s], BENCH_GIVE_UP [600 s], BENCH_SHOPPERS [20], BENCH_CPU_PROF, BENCH_MYSQL_URL,
// BENCH_REDIS_URL.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  call,
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
  monotonicUs,
  percentile,
  summarizeCpuProfile,
  Redis,
  redisServerPid,
  registerShoppers,
  requireBuild,
  requireFromApi,
  root,
  round,
  runBenchmark,
  sleep,
  watchOrderUpdates,
  writeResults,
} from './_harness.mjs';

const Queue = requireFromApi('bull');
const { v7: uuidv7 } = requireFromApi('uuid');

const settings = {
  orders: Number(process.env.BENCH_ORDERS ?? 100_000),
  windowSeconds: Number(process.env.BENCH_WINDOW ?? 30),
  products: Number(process.env.BENCH_PRODUCTS ?? 10),
  processes: Number(process.env.BENCH_PROCESSES ?? 2),
  leadSeconds: Number(process.env.BENCH_LEAD ?? 60),
  giveUpSeconds: Number(process.env.BENCH_GIVE_UP ?? 600),
  shoppers: Number(process.env.BENCH_SHOPPERS ?? 20),
  mysqlServer: common.mysqlServer,
  redisUrl: common.redisUrl,
};
const TARGETS = { p99Ms: 100, maxMs: 1000, missed: 0, doubled: 0 };
const ORDER_PAYMENT_TTL_MS = 300_000; // the API's default; only the reservation markers' TTL depends on it
const CHUNK = 1000;

requireBuild();
// The API's own job shape, so the benchmark queues exactly what placing an order would.
const { expiryJob } = await import(pathToFileURL(join(root, 'api/dist/modules/orders/orders.jobs.js')).href);
const run = createRun('orders-expiry-wave', { ORDER_PAYMENT_TTL_MS: String(ORDER_PAYMENT_TTL_MS) });
// BENCH_CPU_PROF=1: API A runs with --cpu-prof; the report summarizes its samples during the wave.
const profileDir = process.env.BENCH_CPU_PROF === '1' ? mkdtempSync(join(tmpdir(), 'vitrine-expiry-prof-')) : null;

async function insertOrders(connection, redis, shoppers, products) {
  const placeholder = new Date(Date.now() + 2 * 3600_000);
  const ids = [];
  const perProduct = new Map(products.map((product) => [product.id, 0]));
  const started = performance.now();
  for (let offset = 0; offset < settings.orders; offset += CHUNK) {
    const count = Math.min(CHUNK, settings.orders - offset);
    const orders = [];
    const items = [];
    const ledger = [];
    const now = new Date();
    for (let index = offset; index < offset + count; index++) {
      const id = uuidv7();
      ids.push(id);
      const shopper = shoppers[index % shoppers.length];
      const product = products[index % products.length];
      perProduct.set(product.id, perProduct.get(product.id) + 1);
      orders.push([
        id,
        shopper.userId,
        'PENDING_PAYMENT',
        product.price,
        product.currency,
        shopper.addressJson,
        placeholder,
        null,
        null,
        null,
        now,
        now,
      ]);
      items.push([id, product.id, product.name, product.price, 1]);
      ledger.push([product.id, -1, 'ORDER_RESERVED', id, null, now]);
    }
    await connection.beginTransaction();
    await connection.query(
      'INSERT INTO orders (id, user_id, status, total, currency, address, expires_at, paid_at, cancelled_at, cancel_reason, created_at, updated_at) VALUES ?',
      [orders],
    );
    await connection.query('INSERT INTO order_items (order_id, product_id, name, price, quantity) VALUES ?', [items]);
    await connection.query(
      'INSERT INTO stock_ledger (product_id, delta, reason, order_id, note, created_at) VALUES ?',
      [ledger],
    );
    await connection.commit();
  }
  // What the orders hold leaves buyable stock, in the database and in the counters, as the API does it.
  for (const [productId, held] of perProduct) {
    await connection.query(
      'UPDATE stock_levels SET available = available - ?, updated_at = NOW(3) WHERE product_id = ?',
      [held, productId],
    );
    await redis.decrby(`${run.redisPrefix}stock:${productId}`, held);
  }
  const markerTtl = ORDER_PAYMENT_TTL_MS + 3_600_000;
  for (let offset = 0; offset < ids.length; offset += 5000) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(offset, offset + 5000))
      pipeline.set(`${run.redisPrefix}stock-reservation:${id}`, '1', 'PX', markerTtl);
    await pipeline.exec();
  }
  return { ids, perProduct, seconds: round((performance.now() - started) / 1000, 1) };
}

/** Spreads the deadlines evenly over the window, in id (creation) order; answers the window's start. */
async function setDeadlines(connection) {
  const windowStart = new Date(Math.ceil((Date.now() + settings.leadSeconds * 1000) / 1000) * 1000);
  const stepMicros = (settings.windowSeconds * 1e6) / settings.orders;
  await connection.query(
    `UPDATE orders o JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n FROM orders WHERE status = 'PENDING_PAYMENT') x ON x.id = o.id
        SET o.expires_at = DATE_ADD(?, INTERVAL FLOOR(x.n * ?) MICROSECOND)`,
    [windowStart, stepMicros],
  );
  return windowStart;
}

async function enqueueJobs(connection, queue, windowStart) {
  const started = performance.now();
  const [rows] = await connection.query(
    "SELECT id, expires_at AS expiresAt FROM orders WHERE status = 'PENDING_PAYMENT' ORDER BY id",
  );
  for (let offset = 0; offset < rows.length; offset += CHUNK) {
    if (Date.now() > windowStart.getTime() - 2000) {
      throw new Error(`only ${offset} of ${rows.length} jobs queued when the window was 2 s away: raise BENCH_LEAD`);
    }
    await queue.addBulk(
      rows
        .slice(offset, offset + CHUNK)
        .map((row) => expiryJob({ orderId: row.id, traceId: randomBytes(16).toString('hex') }, row.expiresAt)),
    );
  }
  return { jobs: rows.length, seconds: round((performance.now() - started) / 1000, 1) };
}

async function main() {
  log(
    `expiry wave: ${settings.orders} unpaid orders expiring within ${settings.windowSeconds} s, ` +
      `${settings.processes} API process(es) running expiry workers, ${settings.products} products`,
  );
  log(`database ${run.database}, Redis prefix ${run.redisPrefix}`);
  const apis = [
    await run.startApi('A', {}, profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  ];
  for (let index = 1; index < settings.processes; index++) {
    apis.push(await run.startApi(String.fromCharCode(65 + index), { MIGRATE_ON_START: 'false' }));
  }
  const adminToken = await loginAdmin(run, apis[0].url);
  const shoppers = await registerShoppers(run, apis[0].url, settings.shoppers);
  for (const shopper of shoppers) {
    const { items } = await call(apis[0].url, 'GET', '/api/addresses', { token: shopper.token });
    // The API copies the address without its id and default flag, in this key order.
    const address = items[0];
    shopper.addressJson = JSON.stringify({
      recipient: address.recipient,
      phone: address.phone,
      line1: address.line1,
      line2: address.line2,
      city: address.city,
      postalCode: address.postalCode,
      country: address.country,
    });
  }
  const perProductStock = Math.ceil(settings.orders / settings.products) + 1000;
  const products = [];
  for (let index = 0; index < settings.products; index++) {
    products.push(
      await createProduct(apis[0].url, adminToken, {
        name: `expiry-wave-${index + 1}`,
        stock: perProductStock,
        price: 10_000 + index,
      }),
    );
  }

  const redis = new Redis(common.redisUrl);
  const connection = await connectDb(run.databaseUrl);
  const queue = new Queue('orders', settings.redisUrl, {
    prefix: `${run.redisPrefix}bull`,
    redis: { maxRetriesPerRequest: null, enableReadyCheck: false },
  });
  const announcements = await watchOrderUpdates(run, 'CANCELLED');
  try {
    await sleep(500); // counters seeded after the products' commits
    const inserted = await insertOrders(connection, redis, shoppers, products);
    log(
      `${inserted.ids.length} orders inserted (orders, order_items, stock_ledger, stock_levels, counters, markers) in ${inserted.seconds} s`,
    );
    const windowStart = await setDeadlines(connection);
    const windowEnd = new Date(windowStart.getTime() + settings.windowSeconds * 1000);
    const queued = await enqueueJobs(connection, queue, windowStart);
    log(
      `${queued.jobs} Bull jobs queued in ${queued.seconds} s; the window opens ${round((windowStart - Date.now()) / 1000, 1)} s from now ` +
        `(${windowStart.toISOString()} – ${windowEnd.toISOString()})`,
    );

    const pids = Object.fromEntries(apis.map((api) => [`api${api.label}`, api.pid]));
    pids.mariadb = findPid('mariadbd', 'mysqld');
    pids.redis = await redisServerPid(redis);
    await sleep(Math.max(0, windowStart - Date.now() - 1000));
    const meter = cpuMeter(pids);
    const waveWindow = { fromUs: monotonicUs() };
    const db0 = await dbCounters(connection);
    const progress = [];
    const giveUpAt = windowEnd.getTime() + settings.giveUpSeconds * 1000;
    for (;;) {
      await sleep(1000);
      const [[row]] = await connection.query(
        "SELECT COUNT(*) AS pending, COALESCE(SUM(expires_at <= NOW(3)), 0) AS overdue FROM orders WHERE status = 'PENDING_PAYMENT'",
      );
      const jobs = await queue.getJobCounts().catch(() => ({}));
      const point = {
        at: round((Date.now() - windowStart) / 1000, 1),
        pending: Number(row.pending),
        overdue: Number(row.overdue),
        bull: { delayed: jobs.delayed, waiting: jobs.waiting, active: jobs.active, failed: jobs.failed },
      };
      progress.push(point);
      if (progress.length % (point.at < 60 ? 5 : 30) === 0 || point.pending === 0) {
        log(
          `  t = ${String(point.at).padStart(5)} s: ${point.pending} pending, ${point.overdue} of them past their deadline; ` +
            `Bull jobs delayed ${jobs.delayed}, waiting ${jobs.waiting}, active ${jobs.active}, failed ${jobs.failed}`,
        );
      }
      if (point.pending === 0 || Date.now() > giveUpAt) break;
    }
    const cpu = meter.delta();
    waveWindow.toUs = monotonicUs();
    const db = counterDelta(db0, await dbCounters(connection));
    await sleep(1500); // after-commit work: counters, events
    // Stop the API processes (gracefully: running jobs finish) so that what follows reads one
    // consistent state, also when the run gave up with orders still pending.
    await run.stopChildren();

    const [lateRows] = await connection.query(
      `SELECT TIMESTAMPDIFF(MICROSECOND, expires_at, cancelled_at) / 1000 AS ms FROM orders
        WHERE status = 'CANCELLED' AND cancel_reason = 'PAYMENT_TIMEOUT'`,
    );
    const lateness = lateRows.map((row) => Number(row.ms));
    const [[counts]] = await connection.query(
      `SELECT COUNT(*) AS total,
              COALESCE(SUM(status = 'PENDING_PAYMENT'), 0) AS pending,
              COALESCE(SUM(status = 'CANCELLED' AND cancel_reason = 'PAYMENT_TIMEOUT'), 0) AS expired,
              COALESCE(SUM(status = 'CANCELLED' AND cancel_reason <> 'PAYMENT_TIMEOUT'), 0) AS otherCancel,
              COALESCE(SUM(status = 'PAID'), 0) AS paid,
              COALESCE(SUM(cancelled_at < expires_at), 0) AS early
         FROM orders`,
    );
    const [[released]] = await connection.query(
      `SELECT COUNT(*) AS orders_, COALESCE(SUM(n > 1), 0) AS doubled, COALESCE(SUM(n), 0) AS rows_
         FROM (SELECT order_id, COUNT(*) AS n FROM stock_ledger WHERE reason = 'ORDER_RELEASED' GROUP BY order_id) x`,
    );
    const [[unreleased]] = await connection.query(
      `SELECT COUNT(*) AS n FROM orders o WHERE o.status = 'CANCELLED'
          AND NOT EXISTS (SELECT 1 FROM stock_ledger l WHERE l.order_id = o.id AND l.reason = 'ORDER_RELEASED')`,
    );
    const stock = [];
    for (const product of products) {
      const [[level]] = await connection.query('SELECT available FROM stock_levels WHERE product_id = ?', [product.id]);
      const [[ledger]] = await connection.query(
        'SELECT COALESCE(SUM(delta), 0) AS total FROM stock_ledger WHERE product_id = ?',
        [product.id],
      );
      const [[held]] = await connection.query(
        `SELECT COALESCE(SUM(i.quantity), 0) AS units FROM order_items i JOIN orders o ON o.id = i.order_id
          WHERE i.product_id = ? AND o.status = 'PENDING_PAYMENT'`,
        [product.id],
      );
      const counter = await redis.get(`${run.redisPrefix}stock:${product.id}`);
      const entry = {
        productId: product.id,
        initial: perProductStock,
        available: Number(level.available),
        heldByPending: Number(held.units),
        ledgerSum: Number(ledger.total),
        redisCounter: counter === null ? null : Number(counter),
      };
      entry.holds =
        entry.initial === entry.available + entry.heldByPending &&
        entry.ledgerSum === entry.available &&
        entry.redisCounter === entry.available;
      stock.push(entry);
    }
    const seen = [...announcements.received.values()].map((entry) => entry.at - entry.expiresAt);

    const figures = {
      orders: Number(counts.total),
      expired: Number(counts.expired),
      missed: Number(counts.pending),
      cancelledLaterThan2s: lateness.filter((ms) => ms > 2000).length,
      cancelledBeforeDeadline: Number(counts.early),
      otherOutcomes: { otherCancel: Number(counts.otherCancel), paid: Number(counts.paid) },
      latenessMs: {
        p50: round(percentile(lateness, 50)),
        p90: round(percentile(lateness, 90)),
        p99: round(percentile(lateness, 99)),
        max: round(lateness.reduce((max, value) => Math.max(max, value), -Infinity)),
        min: round(lateness.reduce((min, value) => Math.min(min, value), Infinity)),
      },
      releasedOrders: Number(released.orders_),
      releasedRows: Number(released.rows_),
      doubleRestocks: Number(released.doubled),
      cancelledWithoutRelease: Number(unreleased.n),
      stockInvariant: stock.every((entry) => entry.holds),
      stock,
      announcedAfterCommit: {
        events: announcements.received.size,
        duplicates: announcements.duplicates,
        latenessMs: {
          p50: round(percentile(seen, 50)),
          p99: round(percentile(seen, 99)),
          max: round(seen.reduce((max, value) => Math.max(max, value), -Infinity)),
        },
      },
      cpu,
      mariadbGlobalCounters: db,
      progress,
    };
    const met = {
      p99: figures.latenessMs.p99 !== null && figures.latenessMs.p99 <= TARGETS.p99Ms,
      max: figures.latenessMs.max <= TARGETS.maxMs,
      noneMissed: figures.missed === 0,
      noneDoubled: figures.doubleRestocks === 0,
      stockInvariant: figures.stockInvariant,
    };

    log('');
    log(
      `expired ${figures.expired} of ${figures.orders}; missed (still pending) ${figures.missed}; later than 2 s ${figures.cancelledLaterThan2s}; ` +
        `before the deadline ${figures.cancelledBeforeDeadline}`,
    );
    log(
      `lateness cancelled_at − expires_at: p50 ${figures.latenessMs.p50} ms  p90 ${figures.latenessMs.p90} ms  ` +
        `p99 ${figures.latenessMs.p99} ms (target ≤ ${TARGETS.p99Ms}: ${met.p99 ? 'met' : 'MISSED'})  ` +
        `max ${figures.latenessMs.max} ms (target ≤ ${TARGETS.maxMs}: ${met.max ? 'met' : 'MISSED'})`,
    );
    log(
      `as announced after commit (order:updated on Redis): ${figures.announcedAfterCommit.events} events, ` +
        `p50 ${figures.announcedAfterCommit.latenessMs.p50} ms  p99 ${figures.announcedAfterCommit.latenessMs.p99} ms  max ${figures.announcedAfterCommit.latenessMs.max} ms, ` +
        `${figures.announcedAfterCommit.duplicates} duplicates`,
    );
    log(
      `restocks: ${figures.releasedRows} ORDER_RELEASED rows for ${figures.releasedOrders} orders; doubled ${figures.doubleRestocks} ` +
        `(target 0: ${met.noneDoubled ? 'met' : 'MISSED'}); cancelled without a restock ${figures.cancelledWithoutRelease}`,
    );
    log(
      `stock invariant (initial = available + held, ledger = available, Redis = available) on every product: ${figures.stockInvariant ? 'holds' : 'BROKEN'}`,
    );
    log(`CPU s during the wave: ${JSON.stringify(cpu.cpuSeconds)} in ${cpu.wallSeconds} s`);
    log(
      `MariaDB (global) during the wave: ${db.Com_commit} commits, ${db.Questions} statements, ${db.Innodb_row_lock_waits} row-lock waits, ${db.Innodb_deadlocks} deadlocks`,
    );

    let cpuProfile = null;
    if (profileDir) {
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      if (file) {
        cpuProfile = {
          file: join(profileDir, file),
          ...summarizeCpuProfile(join(profileDir, file), { window: waveWindow }),
        };
        log(
          `\nCPU profile of API A during the wave (${cpuProfile.file}), ${cpuProfile.sampledMs} ms sampled; self time by package:`,
        );
        for (const entry of cpuProfile.byPackage.slice(0, 15))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
        log('top functions:');
        for (const entry of cpuProfile.byFunction.slice(0, 20))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
      }
    }

    writeResults('orders-expiry-wave', {
      benchmark: 'orders-expiry-wave',
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        ...settings,
        creation:
          'direct: orders/order_items/stock_ledger rows, stock_levels and Redis counters decremented, reservation markers, Bull jobs via addBulk with the API queue/prefix/name/id/data/options; no outbox rows',
        insertSeconds: inserted.seconds,
        enqueueSeconds: queued.seconds,
        windowStart: windowStart.toISOString(),
        windowEnd: windowEnd.toISOString(),
        perProductStock,
        mail: 'MAIL_ENABLED=false',
        loadAverageAtStart: run.loadAverageAtStart,
      },
      figures,
      ...(cpuProfile ? { cpuProfileOfA: cpuProfile } : {}),
      targets: TARGETS,
      met,
    });
  } finally {
    announcements.close();
    await queue.close().catch(() => undefined);
    await connection.end();
    redis.disconnect();
  }
}

await runBenchmark(run, main);
