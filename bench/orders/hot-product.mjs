#!/usr/bin/env node
// `npm run bench:orders:hot -w bench`: one hot product under sustained load, Vitrine against the
// original design (a Redis lock per product held around read-check-write) in the same run. It
// builds nothing: run `npm run build -w contracts -w api` first.
//
// One fresh MariaDB database and Redis prefix. Vitrine: two API processes (A, B) from api/dist.
// Baseline: two processes of bench/orders/redlock-baseline.mjs on the same database (the schema the
// API created). Each design gets its own product with effectively unlimited stock (10,000,000, the
// API's MAX_STOCK), 20 pre-registered shoppers (each connection keeps one shopper: bearer token and
// address), and the same load: two autocannon instances in parallel, 500 connections each, one per
// process, POST /api/orders {items: [{productId, quantity: 1}], addressId} for BENCH_DURATION s,
// after a short warm-up. Reported per design: orders/s (2xx answers per second, and orders
// committed in the database per second of the window), p50/p99 of the 2xx answers and of all
// answers, non-2xx by status and code, timeouts and errors; CPU seconds used by each process
// (API, MariaDB, Redis, this client) and per order; global MariaDB counters (commits, statements,
// row-lock waits; they include whatever else runs on this shared server). Then the ratio.
// A census (a third API process, LOG_LEVEL=debug, 20 sequential orders) counts SQL statements and
// Redis round trips per order. BENCH_CPU_PROF=1 also profiles API A during Vitrine's load.
// Settings: BENCH_DURATION [30], BENCH_CONNECTIONS [1000, split over the two processes],
// BENCH_WARMUP [5 s at 100 connections], BENCH_TIMEOUT [30 s, per request], BENCH_SHOPPERS [20],
// BENCH_CENSUS [1], BENCH_MYSQL_URL, BENCH_REDIS_URL.
// After Vitrine's closed loop, a paced phase: the same connections offering a fixed rate
// (BENCH_PACED_RATE [60% of the measured orders/s, at most the 3,000 target] for
// BENCH_PACED_DURATION [15] s), so its latency is what a shopper waits, not 1,000 / throughput.
import { mkdtempSync, readdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  common,
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
  pacedLoad,
  connectDb,
  percentile,
  Redis,
  redisServerPid,
  registerShoppers,
  requireBuild,
  round,
  runBenchmark,
  send,
  sleep,
  summarizeCpuProfile,
  watchOrderUpdates,
  writeResults,
} from './_harness.mjs';

const settings = {
  durationSeconds: Number(process.env.BENCH_DURATION ?? 30),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 1000),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 5),
  warmupConnections: 100,
  timeoutSeconds: Number(process.env.BENCH_TIMEOUT ?? 30),
  shoppers: Number(process.env.BENCH_SHOPPERS ?? 20),
  stock: 10_000_000,
  census: process.env.BENCH_CENSUS !== '0',
  pacedRate: process.env.BENCH_PACED_RATE ? Number(process.env.BENCH_PACED_RATE) : null,
  pacedSeconds: Number(process.env.BENCH_PACED_DURATION ?? 15),
  mysqlServer: common.mysqlServer,
  redisUrl: common.redisUrl,
};
const TARGETS = { ordersPerSecond: 3000, p99Ms: 100, overBaseline: 10 };
const baselineScript = fileURLToPath(new URL('./redlock-baseline.mjs', import.meta.url));

requireBuild();
const run = createRun('orders-hot-product');
const profileDir = process.env.BENCH_CPU_PROF === '1' ? mkdtempSync(join(tmpdir(), 'vitrine-hot-prof-')) : null;

/** One autocannon instance: `connections` connections, each with one shopper, ordering `productId`. */
function loadOne(url, connections, durationSeconds, shoppers, productId, record) {
  let next = 0;
  const bodies = shoppers.map((shopper) =>
    JSON.stringify({ items: [{ productId, quantity: 1 }], addressId: shopper.addressId }),
  );
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: durationSeconds,
        timeout: settings.timeoutSeconds,
        requests: [
          {
            method: 'POST',
            path: '/api/orders',
            setupRequest(request, context) {
              context.shopper ??= next++ % shoppers.length;
              return {
                ...request,
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${shoppers[context.shopper].token}`,
                },
                body: bodies[context.shopper],
              };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (record) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => record(statusCode, responseTime));
    }
  });
}

/**
 * Vitrine at a fixed offered rate (open loop, pacedLoad): `settings.connections` buyers, each with
 * its own keep-alive connection and shopper, taking turns, half on each process.
 */
async function pacedRun(apis, shoppers, productId, rate, meterPids) {
  const buyers = settings.connections;
  const agents = apis.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(buyers / apis.length) }));
  const latencies = { ok: [], all: [] };
  const statuses = {};
  const meter = cpuMeter(meterPids);
  const result = await pacedLoad({
    rate,
    seconds: settings.pacedSeconds,
    request: (index) => {
      const buyer = index % buyers;
      const api = buyer % apis.length;
      const shopper = shoppers[buyer % shoppers.length];
      return send(agents[api], apis[api].url, 'POST', '/api/orders', {
        token: shopper.token,
        body: { items: [{ productId, quantity: 1 }], addressId: shopper.addressId },
      });
    },
    onAnswer: (answer, latency) => {
      const key = answer.body?.error?.code ? `${answer.status} ${answer.body.error.code}` : String(answer.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      latencies.all.push(latency);
      if (answer.status >= 200 && answer.status < 300) latencies.ok.push(latency);
    },
  });
  const cpu = meter.delta();
  for (const agent of agents) agent.destroy();
  return {
    label: 'Vitrine (A+B), paced',
    buyers,
    offeredOrdersPerSecond: rate,
    seconds: round(result.seconds, 2),
    ordersPerSecond: round(latencies.ok.length / result.seconds),
    answers: latencies.all.length,
    statuses,
    latencyOkMs: {
      p50: round(percentile(latencies.ok, 50)),
      p99: round(percentile(latencies.ok, 99)),
      max: round(latencies.ok.reduce((max, value) => Math.max(max, value), 0)),
    },
    latencyAllMs: { p50: round(percentile(latencies.all, 50)), p99: round(percentile(latencies.all, 99)) },
    cpu,
  };
}

function printPaced(figures) {
  log(
    `${figures.label.padEnd(30)} ${String(figures.offeredOrdersPerSecond).padStart(7)} orders/s offered by ${figures.buyers} buyers, ` +
      `${figures.ordersPerSecond} served/s   2xx p50 ${figures.latencyOkMs.p50} ms  p99 ${figures.latencyOkMs.p99} ms  max ${figures.latencyOkMs.max} ms`,
  );
  log(`${''.padEnd(30)} answers ${JSON.stringify(figures.statuses)}; CPU s ${JSON.stringify(figures.cpu.cpuSeconds)}`);
  log(`${''.padEnd(30)} after: drained in ${figures.drain.seconds} s; stock ${JSON.stringify(figures.stock)}`);
}

/** Both processes of one design at once; answers the merged figures. */
async function loadDesign(label, apis, shoppers, productId, durationSeconds, connections, meterPids, connection) {
  const latencies = { ok: [], all: [] };
  const statuses = {};
  const record = (statusCode, ms) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.all.push(ms);
    if (statusCode >= 200 && statusCode < 300) latencies.ok.push(ms);
  };
  const perProcess = Math.floor(connections / apis.length);
  const countOrders = async (until) => {
    const [[row]] = await connection.query(
      `SELECT COUNT(*) AS n FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE i.product_id = ?${until ? ' AND o.created_at <= ?' : ''}`,
      until ? [productId, until] : [productId],
    );
    return Number(row.n);
  };
  const ordersBefore = await countOrders();
  const db0 = await dbCounters(connection);
  const meter = cpuMeter(meterPids);
  const window = { fromUs: monotonicUs() };
  const startedAt = new Date();
  const results = await Promise.all(
    apis.map((api) => loadOne(api.url, perProcess, durationSeconds, shoppers, productId, record)),
  );
  const endedAt = new Date();
  window.toUs = monotonicUs();
  const cpu = meter.delta();
  const db = counterDelta(db0, await dbCounters(connection));
  // Requests still in flight when autocannon stopped may commit a moment later; count the window only.
  await sleep(2000);
  const committed = (await countOrders(endedAt)) - ordersBefore;
  const seconds = (endedAt - startedAt) / 1000;

  const sum = (key) => results.reduce((total, result) => total + (result[key] ?? 0), 0);
  const ok = sum('2xx');
  const figures = {
    label,
    seconds: round(seconds, 2),
    connections: perProcess * apis.length,
    ordersPerSecond: round(ok / seconds),
    committedOrdersPerSecond: round(committed / seconds),
    answers: latencies.all.length,
    ok,
    committedInWindow: committed,
    non2xx: sum('non2xx'),
    statuses,
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    latencyOkMs: {
      p50: round(percentile(latencies.ok, 50)),
      p99: round(percentile(latencies.ok, 99)),
      max: round(latencies.ok.reduce((max, value) => Math.max(max, value), 0)),
    },
    latencyAllMs: { p50: round(percentile(latencies.all, 50)), p99: round(percentile(latencies.all, 99)) },
    perProcess: results.map((result, index) => ({
      process: apis[index].label,
      requestsPerSecond: round(result.requests.average),
      ok: result['2xx'],
      non2xx: result.non2xx,
      p50: result.latency.p50,
      p99: result.latency.p99,
    })),
    cpu,
    cpuMsPerOrder:
      committed > 0
        ? Object.fromEntries(
            Object.entries(cpu.cpuSeconds).map(([key, value]) => [
              key,
              value === null ? null : round((value * 1000) / committed, 2),
            ]),
          )
        : null,
    mariadbGlobalCounters: db,
    mariadbPerCommittedOrder:
      committed > 0
        ? {
            commits: round(db.Com_commit / committed, 2),
            statements: round(db.Questions / committed, 2),
            rowLockWaits: round(db.Innodb_row_lock_waits / committed, 2),
            rowLockTimeMs: round(db.Innodb_row_lock_time / committed, 2),
          }
        : null,
    mariadbCommitsPerSecond: round(db.Com_commit / seconds),
    window,
  };
  return figures;
}

async function ordersFor(connection, productId) {
  const [[row]] = await connection.query(
    'SELECT COUNT(*) AS orders_, COALESCE(SUM(quantity), 0) AS units FROM order_items WHERE product_id = ?',
    [productId],
  );
  return { orders: Number(row.orders_), units: Number(row.units) };
}

/** Waits until no new order has committed for 3 s (at most 180 s); answers how long that took. */
async function drain(connection, productId) {
  const started = performance.now();
  let last = (await ordersFor(connection, productId)).orders;
  const atStop = last;
  let stableSince = performance.now();
  while (performance.now() - stableSince < 3000 && performance.now() - started < 180_000) {
    await sleep(500);
    const now = (await ordersFor(connection, productId)).orders;
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    }
  }
  return { seconds: round((performance.now() - started) / 1000, 1), ordersCommittedAfterLoadStopped: last - atStop };
}

/**
 * Stock read back after the load: units taken from stock_levels against units in order_items
 * (a difference is a lost update), the Redis counter for Vitrine, and the outbox rows not yet
 * marked published.
 */
async function stockCheck(connection, redis, productId, vitrine) {
  const { orders, units } = await ordersFor(connection, productId);
  const [[level]] = await connection.query('SELECT available FROM stock_levels WHERE product_id = ?', [productId]);
  const available = Number(level.available);
  const facts = { orders, unitsOrdered: units, available, unitsTakenFromStock: settings.stock - available };
  facts.lostUpdates = units - facts.unitsTakenFromStock;
  if (vitrine) {
    const counter = await redis.get(`${run.redisPrefix}stock:${productId}`);
    facts.redisCounter = counter === null ? null : Number(counter);
    const [[ledger]] = await connection.query(
      'SELECT COALESCE(SUM(delta), 0) AS total FROM stock_ledger WHERE product_id = ?',
      [productId],
    );
    facts.ledgerSum = Number(ledger.total);
    const [[outbox]] = await connection.query(
      'SELECT COUNT(*) AS total, COALESCE(SUM(published_at IS NULL), 0) AS unpublished FROM outbox_events',
    );
    facts.outboxRows = Number(outbox.total);
    facts.outboxUnpublished = Number(outbox.unpublished);
  }
  facts.consistent =
    facts.lostUpdates === 0 && (!vitrine || (facts.redisCounter === available && facts.ledgerSum === available));
  return facts;
}

function printDesign(figures) {
  log(
    `${figures.label.padEnd(30)} ${String(figures.ordersPerSecond).padStart(7)} orders/s (2xx)  ` +
      `${String(figures.committedOrdersPerSecond).padStart(7)} committed/s   ` +
      `2xx p50 ${figures.latencyOkMs.p50} ms  p99 ${figures.latencyOkMs.p99} ms   ` +
      `all p50 ${figures.latencyAllMs.p50} ms  p99 ${figures.latencyAllMs.p99} ms`,
  );
  log(
    `${''.padEnd(30)} answers ${figures.answers}, 2xx ${figures.ok}, non-2xx ${figures.non2xx} ${JSON.stringify(figures.statuses)}, ` +
      `errors ${figures.errors}, timeouts ${figures.timeouts}`,
  );
  log(
    `${''.padEnd(30)} CPU s ${JSON.stringify(figures.cpu.cpuSeconds)} in ${figures.cpu.wallSeconds} s; per order ms ${JSON.stringify(figures.cpuMsPerOrder)}`,
  );
  log(
    `${''.padEnd(30)} MariaDB (global): ${figures.mariadbCommitsPerSecond} commits/s, per order ${JSON.stringify(figures.mariadbPerCommittedOrder)}`,
  );
  if (figures.orderPlacedAnnouncements) {
    log(
      `${''.padEnd(30)} order:updated (PENDING_PAYMENT) published for ${figures.orderPlacedAnnouncements.orders} orders, ` +
        `${figures.orderPlacedAnnouncements.duplicates} duplicates (outbox re-publication)`,
    );
  }
  log(
    `${''.padEnd(30)} after the load: drained in ${figures.drain.seconds} s (${figures.drain.ordersCommittedAfterLoadStopped} more orders); ` +
      `stock ${JSON.stringify(figures.stock)}`,
  );
}

/** Error codes of non-2xx answers, sampled with plain requests after the load (autocannon keeps no bodies). */
async function sampleRefusals(apis, shoppers, productId, count = 200) {
  const agents = apis.map(() => new Agent({ keepAlive: true, maxSockets: 100 }));
  const answers = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const api = index % apis.length;
      const shopper = shoppers[index % shoppers.length];
      return send(agents[api], apis[api].url, 'POST', '/api/orders', {
        token: shopper.token,
        body: { items: [{ productId, quantity: 1 }], addressId: shopper.addressId },
      });
    }),
  );
  for (const agent of agents) agent.destroy();
  const codes = {};
  for (const answer of answers) {
    const key = answer.body?.error?.code ? `${answer.status} ${answer.body.error.code}` : String(answer.status);
    codes[key] = (codes[key] ?? 0) + 1;
  }
  return codes;
}

/**
 * Statements per order: a third API process with LOG_LEVEL=debug (Sequelize logs each statement
 * there) places 20 orders one after another; Redis MONITOR counts the commands carrying this run's
 * prefix, round trips apart from those run inside Lua scripts.
 */
async function census(adminToken, shopper) {
  const api = await run.startApi(
    'census (LOG_LEVEL=debug)',
    { LOG_LEVEL: 'debug', MIGRATE_ON_START: 'false' },
    { captureStdout: true },
  );
  let lines = [];
  let buffer = '';
  api.child.stdout.on('data', (data) => {
    buffer += data;
    let index;
    while ((index = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
    }
  });
  const product = await createProduct(api.url, adminToken, { name: 'census', stock: 1000 });
  const soldOut = await createProduct(api.url, adminToken, { name: 'census sold out', stock: 0 });
  const agent = new Agent({ keepAlive: true });
  const order = (productId) =>
    send(agent, api.url, 'POST', '/api/orders', {
      token: shopper.token,
      body: { items: [{ productId, quantity: 1 }], addressId: shopper.addressId },
    });
  for (let index = 0; index < 5; index++) await order(product.id);
  await sleep(1500);
  const monitor = await new Redis(common.redisUrl).monitor();
  const commands = [];
  monitor.on('monitor', (_time, args, source) => {
    if (args.some((arg) => String(arg).includes(run.runId)))
      commands.push({ name: String(args[0]).toLowerCase(), lua: source === 'lua' });
  });
  const measure = async (productId, expectStatus) => {
    lines = [];
    commands.length = 0;
    const N = 20;
    for (let index = 0; index < N; index++) {
      const answer = await order(productId);
      if (answer.status !== expectStatus) throw new Error(`census: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    await sleep(300);
    const statements = lines
      .filter((line) => line.includes('"Executing ('))
      .map((line) => JSON.parse(line).message.replace(/^Executing \([^)]*\): /, ''));
    const kinds = {};
    for (const sql of statements) {
      const kind = sql.replace(/\s+/g, ' ').slice(0, 48);
      kinds[kind] = round((kinds[kind] ?? 0) + 1 / N, 2);
    }
    const roundTrips = commands.filter((command) => !command.lua);
    const redisKinds = {};
    for (const command of roundTrips) redisKinds[command.name] = round((redisKinds[command.name] ?? 0) + 1 / N, 2);
    return {
      sqlStatementsPerOrder: round(statements.length / N, 2),
      sqlByKind: kinds,
      redisRoundTripsPerOrder: round(roundTrips.length / N, 2),
      redisRoundTripsByCommand: redisKinds,
      redisCommandsInsideLuaPerOrder: round((commands.length - roundTrips.length) / N, 2),
    };
  };
  const placed = await measure(product.id, 201);
  const refused = await measure(soldOut.id, 409);
  monitor.disconnect();
  api.child.kill('SIGTERM');
  await new Promise((done) => api.child.once('exit', done));
  return {
    placed,
    soldOut: refused,
    note: 'includes the background work (outbox marks, sweeper, stock feed) that the orders cause, over 20 sequential orders',
  };
}

async function main() {
  log(
    `hot product: ${settings.connections} connections for ${settings.durationSeconds} s over two processes, ` +
      `Vitrine and then the Redlock baseline, ${settings.shoppers} shoppers`,
  );
  log(`database ${run.database}, Redis prefix ${run.redisPrefix}`);
  const a = await run.startApi(
    'vitrine A',
    {},
    profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {},
  );
  const b = await run.startApi('vitrine B', { MIGRATE_ON_START: 'false' });
  const adminToken = await loginAdmin(run, a.url);
  const shoppers = await registerShoppers(run, a.url, settings.shoppers);
  const vitrineProduct = await createProduct(a.url, adminToken, { name: 'hot (Vitrine)', stock: settings.stock });
  const baselineProduct = await createProduct(a.url, adminToken, {
    name: 'hot (Redlock baseline)',
    stock: settings.stock,
  });
  const p = await run.startScript('redlock P', baselineScript, {}, { healthPath: '/health' });
  const q = await run.startScript('redlock Q', baselineScript, {}, { healthPath: '/health' });
  log(`${shoppers.length} shoppers; products: Vitrine ${vitrineProduct.id}, baseline ${baselineProduct.id}`);

  const redis = new Redis(common.redisUrl);
  const connection = await connectDb(run.databaseUrl);
  try {
    const shared = { mariadb: findPid('mariadbd', 'mysqld'), redis: await redisServerPid(redis) };
    const designs = [
      {
        key: 'vitrine',
        label: 'Vitrine (A+B)',
        apis: [a, b],
        productId: vitrineProduct.id,
        pids: { apiA: a.pid, apiB: b.pid, ...shared },
      },
      {
        key: 'baseline',
        label: 'Redlock baseline (P+Q)',
        apis: [p, q],
        productId: baselineProduct.id,
        pids: { baselineP: p.pid, baselineQ: q.pid, ...shared },
      },
    ];
    let censusFigures = null;
    if (settings.census) {
      // First, on a quiet system: afterwards the load's backlog (outbox, expiry jobs) would be counted too.
      censusFigures = await census(adminToken, shoppers[0]);
      log(
        `census (20 sequential orders, LOG_LEVEL=debug): ${censusFigures.placed.sqlStatementsPerOrder} SQL statements and ` +
          `${censusFigures.placed.redisRoundTripsPerOrder} Redis round trips per placed order ` +
          `(${censusFigures.placed.redisCommandsInsideLuaPerOrder} more commands inside Lua); sold out: ` +
          `${censusFigures.soldOut.sqlStatementsPerOrder} SQL, ${censusFigures.soldOut.redisRoundTripsPerOrder} Redis round trips`,
      );
      for (const [kind, count] of Object.entries(censusFigures.placed.sqlByKind))
        log(`  ${String(count).padStart(5)}  ${kind}`);
      log(`  Redis round trips: ${JSON.stringify(censusFigures.placed.redisRoundTripsByCommand)}`);
      log('');
    }
    const runs = {};
    const placedEvents = await watchOrderUpdates(run, 'PENDING_PAYMENT');
    for (const design of designs) {
      if (settings.warmupSeconds > 0) {
        await Promise.all(
          design.apis.map((api) =>
            loadOne(api.url, settings.warmupConnections / 2, settings.warmupSeconds, shoppers, design.productId),
          ),
        );
        await sleep(1000);
      }
      const figures = await loadDesign(
        design.label,
        design.apis,
        shoppers,
        design.productId,
        settings.durationSeconds,
        settings.connections,
        design.pids,
        connection,
      );
      // Requests the client gave up on (timeouts) are still being served: let them finish before
      // the next design's load, and before reading the stock back.
      figures.drain = await drain(connection, design.productId);
      if (design.key === 'vitrine') {
        // The outbox publishes each order.placed once after commit; a second one means its poller
        // re-published a row whose after-commit publication was merely late.
        await sleep(4000);
        figures.orderPlacedAnnouncements = {
          orders: placedEvents.received.size,
          duplicates: placedEvents.duplicates,
        };
      }
      figures.stock = await stockCheck(connection, redis, design.productId, design.key === 'vitrine');
      if (figures.non2xx > 0)
        figures.refusalCodesSampledAfter = await sampleRefusals(design.apis, shoppers, design.productId);
      runs[design.key] = figures;
      printDesign(figures);
      if (design.key === 'vitrine') {
        // A closed loop of 1,000 connections always has 1,000 orders in flight, so its latency is
        // 1,000 / throughput whatever the server does (Little's law). The same 1,000 buyers offering
        // a fixed rate the system can sustain show the latency a shopper actually waits.
        const rate =
          settings.pacedRate ??
          Math.min(TARGETS.ordersPerSecond, Math.max(50, Math.floor((figures.ordersPerSecond * 0.6) / 50) * 50));
        await sleep(2000);
        runs.vitrinePaced = await pacedRun(design.apis, shoppers, design.productId, rate, design.pids);
        runs.vitrinePaced.drain = await drain(connection, design.productId);
        runs.vitrinePaced.stock = await stockCheck(connection, redis, design.productId, true);
        printPaced(runs.vitrinePaced);
      }
    }
    placedEvents.close();
    const baselineStats = await Promise.all([p, q].map((api) => fetch(`${api.url}/stats`).then((r) => r.json())));
    runs.baseline.processStats = baselineStats;
    const lockFailures = baselineStats.reduce((sum, stats) => sum + stats.lockFailures, 0);
    log(
      `baseline lock failures (whole run, incl. warm-up): ${lockFailures} of ` +
        `${baselineStats.reduce((sum, stats) => sum + stats.lockFailures + stats.created + stats.outOfStock, 0)} orders tried; ` +
        `${baselineStats.reduce((sum, stats) => sum + stats.lockAttempts, 0)} SET NX attempts`,
    );

    const ratio = round(runs.vitrine.ordersPerSecond / runs.baseline.ordersPerSecond, 2);
    const met = {
      ordersPerSecond: runs.vitrine.ordersPerSecond >= TARGETS.ordersPerSecond,
      p99: runs.vitrine.latencyOkMs.p99 !== null && runs.vitrine.latencyOkMs.p99 <= TARGETS.p99Ms,
      overBaseline: ratio >= TARGETS.overBaseline,
    };
    log('');
    log(
      `Vitrine orders/s ${runs.vitrine.ordersPerSecond} (target ≥ ${TARGETS.ordersPerSecond}: ${met.ordersPerSecond ? 'met' : 'MISSED'})`,
    );
    log(
      `Vitrine 2xx p99 ${runs.vitrine.latencyOkMs.p99} ms (target ≤ ${TARGETS.p99Ms}: ${met.p99 ? 'met' : 'MISSED'})`,
    );
    log(`Vitrine / baseline = ${ratio} (target ≥ ${TARGETS.overBaseline}: ${met.overBaseline ? 'met' : 'MISSED'})`);
    log(
      `Vitrine paced, ${runs.vitrinePaced.offeredOrdersPerSecond} orders/s offered by ${runs.vitrinePaced.buyers} buyers: ` +
        `${runs.vitrinePaced.ordersPerSecond} served/s, 2xx p50 ${runs.vitrinePaced.latencyOkMs.p50} ms, p99 ${runs.vitrinePaced.latencyOkMs.p99} ms`,
    );

    let cpuProfile = null;
    if (profileDir) {
      await run.stopChildren();
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      if (file) {
        cpuProfile = {
          file: join(profileDir, file),
          ...summarizeCpuProfile(join(profileDir, file), { window: runs.vitrine.window }),
        };
        log(
          `\nCPU profile of API A during Vitrine's load (${cpuProfile.file}), ${cpuProfile.sampledMs} ms sampled; self time by package:`,
        );
        for (const entry of cpuProfile.byPackage.slice(0, 15))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
        log('top functions:');
        for (const entry of cpuProfile.byFunction.slice(0, 20))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
      }
    }

    writeResults('orders-hot-product', {
      benchmark: 'orders-hot-product',
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        ...settings,
        processesPerDesign: 2,
        mail: 'MAIL_ENABLED=false',
        loadAverageAtStart: run.loadAverageAtStart,
        baseline:
          'bench/orders/redlock-baseline.mjs: SET NX PX 2000 per product, 10 attempts, 50–100 ms jittered delay, then 409 LOCK_FAILED; SELECT/check/UPDATE/INSERT order+item/COMMIT; Lua compare-and-delete release',
      },
      runs,
      ratio,
      census: censusFigures,
      ...(cpuProfile ? { cpuProfileOfA: cpuProfile } : {}),
      targets: TARGETS,
      met,
    });
  } finally {
    await connection.end();
    redis.disconnect();
  }
}

await runBenchmark(run, main);
