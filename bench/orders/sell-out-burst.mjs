#!/usr/bin/env node
// `npm run bench:orders:burst -w bench`: a flash sale's opening second. It builds nothing: run
// `npm run build -w contracts -w api` first.
//
// Two API processes (A, B) from api/dist share one fresh MariaDB database and one fresh Redis
// prefix. One product with 500 units; 1,000 POST /api/orders (quantity 1) fired at once, half on
// each process, over keep-alive connections opened beforehand (one per request), by 20 pre-registered
// shoppers with an address each. Before the burst, a warm-up product takes BENCH_WARMUP_ORDERS
// orders (JIT, connection pools), so the burst meets warm processes as a live sale would.
// Reported per round: answers per status and code (target: exactly 500 × 201 and 500 × 409
// OUT_OF_STOCK), time from the first request sent to the last answer (target ≤ 1 s), p50/p99 of the
// successes and of the sold-out answers (sold-out p99 target ≤ 10 ms), and the stock invariant read
// back from the database: stock_levels.available = 0, 500 pending order lines, ledger sums to 0,
// every 201's order id in `orders`.
// Settings: BENCH_UNITS [500], BENCH_REQUESTS [1000], BENCH_SHOPPERS [20], BENCH_ROUNDS [3] (one
// fresh product each), BENCH_WARMUP_ORDERS [400], BENCH_MYSQL_URL, BENCH_REDIS_URL.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  summarizeCpuProfile,
  cpuMeter,
  createProduct,
  createRun,
  findPid,
  log,
  loginAdmin,
  monotonicUs,
  openSockets,
  machine,
  connectDb,
  percentile,
  Redis,
  redisServerPid,
  registerShoppers,
  requireBuild,
  round,
  runBenchmark,
  send,
  WARM_PATH,
  warmAgent,
  common,
  writeResults,
} from './_harness.mjs';

const settings = {
  units: Number(process.env.BENCH_UNITS ?? 500),
  requests: Number(process.env.BENCH_REQUESTS ?? 1000),
  shoppers: Number(process.env.BENCH_SHOPPERS ?? 20),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  warmupOrders: Number(process.env.BENCH_WARMUP_ORDERS ?? 400),
  mysqlServer: common.mysqlServer,
  redisUrl: common.redisUrl,
};
const TARGETS = { lastAnswerMs: 1000, soldOutP99Ms: 10 };

requireBuild();
const run = createRun('orders-sell-out-burst');
// BENCH_CPU_PROF=1: API A runs with --cpu-prof (from its start to its exit, so it includes set-up
// and warm-up); its self time per package and function goes into the report.
const profileDir = process.env.BENCH_CPU_PROF === '1' ? mkdtempSync(join(tmpdir(), 'vitrine-burst-prof-')) : null;

async function verifyStock(connection, redis, productId, createdIds) {
  const [[level]] = await connection.query('SELECT available FROM stock_levels WHERE product_id = ?', [productId]);
  const [[lines]] = await connection.query(
    `SELECT COUNT(*) AS lines_, COALESCE(SUM(i.quantity), 0) AS units, COUNT(DISTINCT o.id) AS orders_
       FROM order_items i JOIN orders o ON o.id = i.order_id
      WHERE i.product_id = ? AND o.status = 'PENDING_PAYMENT'`,
    [productId],
  );
  const [[ledger]] = await connection.query(
    `SELECT COALESCE(SUM(delta), 0) AS total,
            COALESCE(SUM(CASE WHEN reason = 'INITIAL' THEN delta ELSE 0 END), 0) AS initial,
            COALESCE(SUM(CASE WHEN reason = 'ORDER_RESERVED' THEN 1 ELSE 0 END), 0) AS reservations
       FROM stock_ledger WHERE product_id = ?`,
    [productId],
  );
  let found = 0;
  for (let index = 0; index < createdIds.length; index += 500) {
    const slice = createdIds.slice(index, index + 500);
    const [[row]] = await connection.query('SELECT COUNT(*) AS n FROM orders WHERE id IN (?)', [slice]);
    found += Number(row.n);
  }
  const counter = await redis.get(`${run.redisPrefix}stock:${productId}`);
  const facts = {
    available: Number(level?.available),
    pendingLines: Number(lines.lines_),
    pendingUnits: Number(lines.units),
    pendingOrders: Number(lines.orders_),
    ledgerSum: Number(ledger.total),
    ledgerInitial: Number(ledger.initial),
    ledgerReservations: Number(ledger.reservations),
    createdOrdersFoundInDb: found,
    redisCounter: counter === null ? null : Number(counter),
  };
  // initial = buyable + held by unpaid orders + sold (nothing is paid here)
  facts.invariantHolds =
    facts.available === 0 &&
    facts.pendingUnits === settings.units &&
    facts.pendingLines === settings.units &&
    facts.ledgerInitial === settings.units &&
    facts.ledgerInitial === facts.available + facts.pendingUnits &&
    facts.ledgerSum === facts.available &&
    found === createdIds.length &&
    createdIds.length === settings.units &&
    facts.redisCounter === 0;
  return facts;
}

async function burst(apis, agents, shoppers, productId) {
  const started = performance.now();
  const pending = [];
  for (let index = 0; index < settings.requests; index++) {
    const api = index % apis.length;
    const shopper = shoppers[index % shoppers.length];
    pending.push(
      send(agents[api], apis[api].url, 'POST', '/api/orders', {
        token: shopper.token,
        body: { items: [{ productId, quantity: 1 }], addressId: shopper.addressId },
      }).then((answer) => ({ ...answer, api: apis[api].label })),
    );
  }
  const sentWithinMs = performance.now() - started;
  const answers = await Promise.all(pending);
  const lastAnswerMs = Math.max(...answers.map((answer) => answer.endedAt)) - started;

  const byOutcome = {};
  const latency = { created: [], soldOut: [], other: [] };
  const createdIds = [];
  for (const answer of answers) {
    const code = answer.body?.error?.code;
    const key = code ? `${answer.status} ${code}` : String(answer.status);
    byOutcome[key] = (byOutcome[key] ?? 0) + 1;
    const ms = answer.endedAt - answer.startedAt;
    if (answer.status === 201) {
      latency.created.push(ms);
      createdIds.push(answer.body.id);
    } else if (answer.status === 409 && code === 'OUT_OF_STOCK') latency.soldOut.push(ms);
    else latency.other.push(ms);
  }
  const perApi = {};
  for (const answer of answers) {
    perApi[answer.api] ??= {};
    perApi[answer.api][answer.status] = (perApi[answer.api][answer.status] ?? 0) + 1;
  }
  const figures = (values) => ({
    count: values.length,
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : null),
  });
  return {
    byOutcome,
    perApi,
    sentWithinMs: round(sentWithinMs),
    lastAnswerMs: round(lastAnswerMs),
    createdMs: figures(latency.created),
    soldOutMs: figures(latency.soldOut),
    otherMs: figures(latency.other),
    createdIds,
  };
}

async function main() {
  log(
    `sell-out burst: ${settings.requests} orders at once for ${settings.units} units over two API processes, ` +
      `${settings.shoppers} shoppers, ${settings.rounds} round(s)`,
  );
  log(`database ${run.database}, Redis prefix ${run.redisPrefix}`);
  const a = await run.startApi('A', {}, profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {});
  const b = await run.startApi('B', { MIGRATE_ON_START: 'false' });
  const apis = [a, b];
  const adminToken = await loginAdmin(run, a.url);
  const registering = performance.now();
  const shoppers = await registerShoppers(run, a.url, settings.shoppers);
  log(`${shoppers.length} shoppers registered in ${round((performance.now() - registering) / 1000)} s`);

  const redis = new Redis(common.redisUrl);
  const connection = await connectDb(run.databaseUrl);
  try {
    // Warm-up on its own product: JIT, Sequelize pools and Bull connections in both processes.
    const perApi = Math.ceil(settings.requests / apis.length);
    const agents = await Promise.all(apis.map((api) => warmAgent(api.url, perApi)));
    if (settings.warmupOrders > 0) {
      const warm = await createProduct(a.url, adminToken, { name: 'warm-up', stock: 1_000_000 });
      const warmAnswers = [];
      for (let index = 0; index < settings.warmupOrders; index += 50) {
        warmAnswers.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(50, settings.warmupOrders - index) }, (_, offset) => {
              const api = (index + offset) % apis.length;
              const shopper = shoppers[(index + offset) % shoppers.length];
              return send(agents[api], apis[api].url, 'POST', '/api/orders', {
                token: shopper.token,
                body: { items: [{ productId: warm.id, quantity: 1 }], addressId: shopper.addressId },
              });
            }),
          )),
        );
      }
      const failedWarmups = warmAnswers.filter((answer) => answer.status !== 201);
      if (failedWarmups.length > 0) {
        throw new Error(
          `warm-up: ${failedWarmups.length} orders failed, e.g. ${JSON.stringify(failedWarmups[0].body)}`,
        );
      }
      log(`warm-up: ${warmAnswers.length} orders on another product`);
    }

    const meterPids = {
      apiA: a.pid,
      apiB: b.pid,
      mariadb: findPid('mariadbd', 'mysqld'),
      redis: await redisServerPid(redis),
    };
    const rounds = [];
    // The profile summary covers the bursts only (first burst's start to last burst's end).
    const burstWindow = { from: undefined, to: undefined };
    for (let index = 0; index < settings.rounds; index++) {
      const product = await createProduct(a.url, adminToken, {
        name: `flash-sale-${index + 1}`,
        stock: settings.units,
      });
      // Both processes see the product (and the counter was seeded at creation).
      await Promise.all(apis.map((api) => call(api.url, 'GET', `/api/products/${product.id}`)));
      // Keep-alive sockets stay open between rounds; top them up in case the server closed some.
      await Promise.all(apis.map((api, at) => openSockets(agents[at], api.url, perApi)));
      await new Promise((done) => setTimeout(done, 500));
      const meter = cpuMeter(meterPids);
      burstWindow.from ??= monotonicUs();
      const result = await burst(apis, agents, shoppers, product.id);
      burstWindow.to = monotonicUs();
      const cpu = meter.delta();
      // Let after-commit work (Bull jobs, outbox marks) finish before reading the database.
      await new Promise((done) => setTimeout(done, 1000));
      const stock = await verifyStock(connection, redis, product.id, result.createdIds);
      const exact =
        result.byOutcome['201'] === settings.units &&
        result.byOutcome['409 OUT_OF_STOCK'] === settings.requests - settings.units &&
        Object.keys(result.byOutcome).length === 2;
      const met = {
        exactOutcome: exact,
        lastAnswer: result.lastAnswerMs <= TARGETS.lastAnswerMs,
        soldOutP99: result.soldOutMs.p99 !== null && result.soldOutMs.p99 <= TARGETS.soldOutP99Ms,
        stockInvariant: stock.invariantHolds,
      };
      const figures = { ...result };
      delete figures.createdIds;
      rounds.push({ productId: product.id, ...figures, cpuDuringBurst: cpu, stock, met });
      log('');
      log(`round ${index + 1}: ${JSON.stringify(result.byOutcome)}   per process: ${JSON.stringify(result.perApi)}`);
      log(
        `  all sent within ${result.sentWithinMs} ms; last answer after ${result.lastAnswerMs} ms ` +
          `(target ≤ ${TARGETS.lastAnswerMs}: ${met.lastAnswer ? 'met' : 'MISSED'})`,
      );
      log(
        `  201 created:      n=${result.createdMs.count}  p50 ${result.createdMs.p50} ms  p99 ${result.createdMs.p99} ms  max ${result.createdMs.max} ms`,
      );
      log(
        `  409 OUT_OF_STOCK: n=${result.soldOutMs.count}  p50 ${result.soldOutMs.p50} ms  p99 ${result.soldOutMs.p99} ms  max ${result.soldOutMs.max} ms ` +
          `(p99 target ≤ ${TARGETS.soldOutP99Ms}: ${met.soldOutP99 ? 'met' : 'MISSED'})`,
      );
      if (result.otherMs.count > 0) log(`  other answers:    n=${result.otherMs.count}`);
      log(
        `  stock: available ${stock.available}, pending lines ${stock.pendingLines} (units ${stock.pendingUnits}), ` +
          `ledger sum ${stock.ledgerSum} (initial ${stock.ledgerInitial}, ${stock.ledgerReservations} reservations), ` +
          `Redis counter ${stock.redisCounter}, created ids in DB ${stock.createdOrdersFoundInDb}: ` +
          `${stock.invariantHolds ? 'invariant holds' : 'INVARIANT BROKEN'}; outcome ${exact ? 'exact' : 'NOT EXACT'}`,
      );
      log(`  CPU during the burst (s): ${JSON.stringify(cpu.cpuSeconds)} in ${cpu.wallSeconds} s wall`);
    }

    // The floor under these figures: the same burst to an unknown route, answered 404 by the same
    // middleware chain (helmet, CORS, JSON, gateway, router, error handler) with no database or Redis.
    const ceiling = [];
    for (let index = 0; index < settings.rounds; index++) {
      await Promise.all(apis.map((api, at) => openSockets(agents[at], api.url, perApi)));
      await new Promise((done) => setTimeout(done, 500));
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: settings.requests }, (_, at) =>
          send(agents[at % apis.length], apis[at % apis.length].url, 'GET', WARM_PATH),
        ),
      );
      const times = answers.map((answer) => answer.endedAt - started);
      ceiling.push({ lastAnswerMs: round(Math.max(...times)), p50: round(percentile(times, 50)) });
    }
    log('');
    log(
      `framework floor: ${settings.requests} requests to an unknown route (404, no I/O) at once: last answer ` +
        `${ceiling.map((entry) => entry.lastAnswerMs).join(' / ')} ms, p50 ${ceiling.map((entry) => entry.p50).join(' / ')} ms`,
    );

    const all = (key) => rounds.every((entry) => entry.met[key]);
    const met = {
      exactOutcome: all('exactOutcome'),
      lastAnswer: all('lastAnswer'),
      soldOutP99: all('soldOutP99'),
      stockInvariant: all('stockInvariant'),
    };
    let cpuProfile;
    if (profileDir) {
      await run.stopChildren();
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      cpuProfile = file
        ? {
            file: join(profileDir, file),
            ...summarizeCpuProfile(join(profileDir, file), {
              window: { fromUs: burstWindow.from, toUs: burstWindow.to },
            }),
          }
        : null;
      if (cpuProfile) {
        log(
          `\nCPU profile of API A during the bursts (${cpuProfile.file}), ${cpuProfile.sampledMs} ms sampled; self time by package:`,
        );
        for (const entry of cpuProfile.byPackage.slice(0, 15))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
        log('top functions:');
        for (const entry of cpuProfile.byFunction.slice(0, 20))
          log(`  ${String(entry.percent).padStart(5)} %  ${entry.name}`);
      }
    }
    log('');
    log(
      `summary over ${rounds.length} round(s): exact ${met.exactOutcome ? 'yes' : 'NO'}; invariant ${met.stockInvariant ? 'yes' : 'NO'}; ` +
        `last answer ${rounds.map((entry) => entry.lastAnswerMs).join(' / ')} ms; ` +
        `sold-out p99 ${rounds.map((entry) => entry.soldOutMs.p99).join(' / ')} ms; ` +
        `created p99 ${rounds.map((entry) => entry.createdMs.p99).join(' / ')} ms`,
    );

    writeResults('orders-sell-out-burst', {
      benchmark: 'orders-sell-out-burst',
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        ...settings,
        processes: 2,
        connections: 'one keep-alive connection per request, opened before the burst',
        mail: 'MAIL_ENABLED=false',
        loadAverageAtStart: run.loadAverageAtStart,
      },
      rounds,
      frameworkFloor: {
        what: `${settings.requests} requests at once to an unknown route (404 through the same middleware, no I/O)`,
        rounds: ceiling,
      },
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
