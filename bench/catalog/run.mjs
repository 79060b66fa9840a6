#!/usr/bin/env node
// `npm run bench:catalog -w bench`: the catalog list under load, cached and uncached, against
// `GET /api/health` in the same run. It builds nothing: run `npm run build -w contracts -w api` first.
//
// Two API processes from api/dist share one fresh MariaDB database and one fresh Redis prefix:
// A runs as configured by default (catalog cache on), B with CATALOG_CACHE=false, so B is the
// uncached path with no bypass a client could ever use. After a warm-up, each endpoint is loaded by
// autocannon (50 connections, 10 s in all, in interleaved rounds); one endpoint at a time.
// Settings: BENCH_PRODUCTS, BENCH_CONNECTIONS, BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP,
// BENCH_MYSQL_URL (server only, no database), BENCH_REDIS_URL.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = fileURLToPath(new URL('../..', import.meta.url));
// mysql2 and ioredis are the API's dependencies; resolve them from there, not from wherever npm hoisted them.
const requireFromApi = createRequire(join(root, 'api/package.json'));
const mysql = requireFromApi('mysql2/promise');
const { Redis } = requireFromApi('ioredis');

const settings = {
  products: Number(process.env.BENCH_PRODUCTS ?? 2000),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
  rounds: Number(process.env.BENCH_ROUNDS ?? 2),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 2),
  mysqlServer: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};
const TARGETS = { cachedOverHealth: 0.8, cachedOverUncached: 8 };
const LIST_PATH = '/api/products?page=1&limit=20';

const apiMain = join(root, 'api/dist/main.js');
const seedMain = join(root, 'api/dist/seed/main.js');
for (const file of [apiMain, seedMain]) {
  if (!existsSync(file)) {
    process.stderr.write(`${file} is missing: run \`npm run build -w contracts -w api\` first\n`);
    process.exit(1);
  }
}

// Other work on the machine skews every figure; the report records how busy it was.
const loadAverageAtStart = loadavg();
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const database = `vitrine_bench_${runId}`;
const redisPrefix = `vitrine-bench:${runId}:`;
const baseEnv = {
  ...process.env,
  NODE_ENV: 'production',
  DATABASE_URL: `${settings.mysqlServer}/${database}`,
  REDIS_URL: settings.redisUrl,
  REDIS_KEY_PREFIX: redisPrefix,
  JWT_SECRET: randomBytes(32).toString('hex'),
  PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
  RATE_LIMIT_RPM: '0',
  LOG_LEVEL: 'warn',
};

const log = (line) => process.stdout.write(`${line}\n`);
const children = [];

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startApi(name, extraEnv) {
  const port = await freePort();
  const child = spawn(process.execPath, [apiMain], {
    env: { ...baseEnv, ...extraEnv, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`API ${name} exited with ${child.exitCode}`);
    const healthy = await fetch(`${url}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { name, url, child };
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`API ${name} did not become healthy within 60 s`);
}

async function load(url, durationSeconds) {
  const result = await autocannon({ url, connections: settings.connections, duration: durationSeconds });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, average: result.latency.average },
    bytesPerSecond: Math.round(result.throughput.average),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * Runs the endpoints in interleaved rounds (health, cached, uncached, health, …) of
 * duration/rounds seconds each, so a neighbour loading the machine for a while skews all three
 * alike instead of one of them. Throughput is over all rounds; p50 is the median of the rounds'
 * p50s and p99 the worst round's p99.
 */
async function measureAll(endpoints) {
  for (const endpoint of endpoints) await load(endpoint.url, settings.warmupSeconds);
  const rounds = Object.fromEntries(endpoints.map((endpoint) => [endpoint.key, []]));
  for (let round = 0; round < settings.rounds; round++) {
    for (const endpoint of endpoints) {
      const figures = await load(endpoint.url, settings.durationSeconds / settings.rounds);
      const unexpected = endpoint.expectNotFound ? figures.requests - figures.non2xx : figures.non2xx;
      if (unexpected > 0 || figures.errors > 0) {
        throw new Error(
          `${endpoint.label}: ${unexpected} unexpected statuses, ${figures.errors} errors; the figures mean nothing`,
        );
      }
      rounds[endpoint.key].push(figures);
    }
  }
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
  const summary = {};
  for (const endpoint of endpoints) {
    const runs = rounds[endpoint.key];
    const requests = runs.reduce((sum, run) => sum + run.requests, 0);
    const figures = {
      requestsPerSecond: Math.round(requests / settings.durationSeconds),
      latencyMs: {
        p50: median(runs.map((run) => run.latencyMs.p50)),
        p99: Math.max(...runs.map((run) => run.latencyMs.p99)),
      },
      requests,
      rounds: runs.map((run) => run.requestsPerSecond),
    };
    summary[endpoint.key] = figures;
    log(
      `${endpoint.label.padEnd(24)} ${String(figures.requestsPerSecond).padStart(8)} req/s   p50 ${String(figures.latencyMs.p50).padStart(4)} ms   p99 ${String(figures.latencyMs.p99).padStart(4)} ms   rounds: ${figures.rounds.join(' / ')}`,
    );
  }
  return summary;
}

async function cleanUp() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : null)),
  );
  const connection = await mysql.createConnection(settings.mysqlServer);
  await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await connection.end();
  const redis = new Redis(settings.redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

async function main() {
  log(
    `catalog benchmark: ${settings.products} products, ${settings.connections} connections, ` +
      `${settings.durationSeconds} s per endpoint in ${settings.rounds} interleaved rounds`,
  );
  log(`database ${database}, Redis prefix ${redisPrefix}`);
  await run(process.execPath, [seedMain, '--count', String(settings.products)], baseEnv);

  const cached = await startApi('A (cache on)', {});
  const uncached = await startApi('B (CATALOG_CACHE=false)', { CATALOG_CACHE: 'false', MIGRATE_ON_START: 'false' });
  const listed = await fetch(`${cached.url}${LIST_PATH}`).then((response) => response.json());
  if (listed.total !== settings.products || listed.items.length !== 20) {
    throw new Error(`unexpected catalog: total ${listed.total}, ${listed.items.length} items`);
  }
  const bodyBytes = Buffer.byteLength(JSON.stringify(listed));
  log(`list page: ${bodyBytes} bytes of JSON\n`);

  const { health, listCached, listUncached, floor } = await measureAll([
    { key: 'health', label: 'GET /api/health', url: `${cached.url}/api/health` },
    { key: 'listCached', label: 'list, cached (A)', url: `${cached.url}${LIST_PATH}` },
    { key: 'listUncached', label: 'list, uncached (B)', url: `${uncached.url}${LIST_PATH}` },
    // Context, not a target: an unknown route runs the whole middleware chain and does no I/O, so
    // it is about as fast as any answer of this API can be on this machine.
    { key: 'floor', label: 'unknown route (404)', url: `${cached.url}/api/bench-unknown-route`, expectNotFound: true },
  ]);

  const ratios = {
    cachedOverHealth: Number((listCached.requestsPerSecond / health.requestsPerSecond).toFixed(2)),
    cachedOverUncached: Number((listCached.requestsPerSecond / listUncached.requestsPerSecond).toFixed(2)),
    cachedOverFloor: Number((listCached.requestsPerSecond / floor.requestsPerSecond).toFixed(2)),
    floorOverUncached: Number((floor.requestsPerSecond / listUncached.requestsPerSecond).toFixed(2)),
  };
  const met = {
    cachedOverHealth: ratios.cachedOverHealth >= TARGETS.cachedOverHealth,
    cachedOverUncached: ratios.cachedOverUncached >= TARGETS.cachedOverUncached,
  };
  log('');
  log(
    `cached / health   = ${ratios.cachedOverHealth}  (target ≥ ${TARGETS.cachedOverHealth}: ${met.cachedOverHealth ? 'met' : 'MISSED'})`,
  );
  log(
    `cached / uncached = ${ratios.cachedOverUncached}  (target ≥ ${TARGETS.cachedOverUncached}: ${met.cachedOverUncached ? 'met' : 'MISSED'})`,
  );
  log(
    `cached / 404 floor = ${ratios.cachedOverFloor}; 404 floor / uncached = ${ratios.floorOverUncached} ` +
      '(the most any cache could reach against this uncached path here)',
  );

  const report = {
    benchmark: 'catalog',
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: Math.round(totalmem() / 2 ** 30),
    },
    settings: {
      ...settings,
      listPath: LIST_PATH,
      listBodyBytes: bodyBytes,
      uncachedBy: 'second API process with CATALOG_CACHE=false',
      loadAverageAtStart: loadAverageAtStart.map((value) => Number(value.toFixed(2))),
    },
    runs: { health, listCached, listUncached, floor },
    ratios,
    targets: TARGETS,
    met,
  };
  const results = join(root, 'bench/results');
  mkdirSync(results, { recursive: true });
  const dated = join(results, `catalog-${report.date.slice(0, 10)}.json`);
  for (const file of [dated, join(results, 'catalog-latest.json')])
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwritten: ${dated} and bench/results/catalog-latest.json`);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(`benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await cleanUp().catch((error) => process.stderr.write(`clean-up failed: ${error.message}\n`));
}
process.exit(failed ? 1 : 0);
