// Shared plumbing of the order benchmarks (bench/orders/*.mjs), after the conventions of
// bench/catalog/run.mjs: the BUILT API (api/dist/main.js) on a fresh MariaDB database and a fresh
// Redis key prefix, RATE_LIMIT_RPM=0, LOG_LEVEL=warn; figures printed and written to
// bench/results/<name>-<date>.json and <name>-latest.json; database and keys dropped afterwards.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
// mysql2, ioredis and bull are the API's dependencies; resolve them from there, not from wherever npm hoisted them.
export const requireFromApi = createRequire(join(root, 'api/package.json'));
export const mysql = requireFromApi('mysql2/promise');
export const { Redis } = requireFromApi('ioredis');

export const apiMain = join(root, 'api/dist/main.js');
export const log = (line = '') => process.stdout.write(`${line}\n`);
export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export function requireBuild() {
  if (!existsSync(apiMain)) {
    process.stderr.write(`${apiMain} is missing: run \`npm run build -w contracts -w api\` first\n`);
    process.exit(1);
  }
}

export const common = {
  mysqlServer: process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/**
 * One benchmark run: its database, Redis prefix, environment and child processes. Email is off
 * (MAIL_ENABLED=false): there is no SES here, and the order path is what is measured; with email
 * on, each order also writes two `sent_emails` rows and queues two Bull jobs (after commit).
 */
export function createRun(name, extraEnv = {}) {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const database = `vitrine_bench_${name.replaceAll('-', '_')}_${runId}`;
  const redisPrefix = `vitrine-bench:${runId}:`;
  const admin = { email: `bench-admin-${runId}@vitrine.test`, password: `bench-${randomBytes(9).toString('hex')}` };
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: `${common.mysqlServer}/${database}`,
    REDIS_URL: common.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_SECRET: randomBytes(32).toString('hex'),
    PAYMENT_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_RPM: '0',
    LOG_LEVEL: 'warn',
    MAIL_ENABLED: 'false',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    ...extraEnv,
  };
  const children = [];
  const loadAverageAtStart = loadavg().map((value) => Number(value.toFixed(2)));

  async function startProcess(label, args, childEnv, options = {}) {
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      env: { ...childEnv, PORT: String(port) },
      stdio: ['ignore', options.captureStdout ? 'pipe' : 'inherit', 'inherit'],
    });
    children.push(child);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode}`);
      const healthy = await fetch(`${url}${options.healthPath ?? '/api/health'}`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return { label, url, port, child, pid: child.pid };
      await sleep(200);
    }
    throw new Error(`${label} did not become healthy within 90 s`);
  }

  return {
    name,
    runId,
    database,
    redisPrefix,
    admin,
    env,
    children,
    loadAverageAtStart,
    databaseUrl: `${common.mysqlServer}/${database}`,

    /** The built API; `nodeArgs` e.g. ['--cpu-prof', …]. */
    startApi(label, extra = {}, options = {}) {
      return startProcess(label, [...(options.nodeArgs ?? []), apiMain], { ...env, ...extra }, options);
    },

    startScript(label, script, extra = {}, options = {}) {
      return startProcess(label, [...(options.nodeArgs ?? []), script], { ...env, ...extra }, options);
    },

    async stopChildren(signal = 'SIGTERM') {
      for (const child of children) if (child.exitCode === null) child.kill(signal);
      await Promise.all(
        children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : null)),
      );
    },

    async cleanUp() {
      await this.stopChildren();
      const connection = await mysql.createConnection(common.mysqlServer);
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await connection.end();
      const redis = new Redis(common.redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/**
 * Self time per function and per package of a V8 .cpuprofile (from `node --cpu-prof`): where the
 * process spent its CPU. Answers the top `limit` of each, in ms and % of sampled time.
 */
export function summarizeCpuProfile(file, { limit = 25, window } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  // Sample times are µs of the system's monotonic clock, the same as monotonicUs() in this process.
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[index];
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta / 1000);
  }
  const total = [...selfMs.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map();
  const byPackage = new Map();
  for (const [id, ms] of selfMs) {
    const { callFrame } = byId.get(id);
    const url = callFrame.url || '';
    const where = url.includes('/node_modules/')
      ? url
          .slice(url.lastIndexOf('/node_modules/') + 14)
          .split('/')
          .slice(0, url.includes('/node_modules/@') ? 2 : 1)
          .join('/')
      : url.includes('/api/dist/')
        ? `api/${url.slice(url.indexOf('/api/dist/') + 10)}`
        : url.startsWith('node:')
          ? url
          : url
            ? url.slice(-60)
            : `(${callFrame.functionName || 'native'})`;
    const fn = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const pkg =
      url.includes('/node_modules/') || url.includes('/api/dist/')
        ? where
            .split('/')
            .slice(0, where.startsWith('@') ? 2 : 1)
            .join('/')
        : where;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const top = (map) =>
    [...map]
      .sort((x, y) => y[1] - x[1])
      .slice(0, limit)
      .map(([name, ms]) => ({ name, ms: round(ms), percent: round((100 * ms) / total) }));
  return { sampledMs: round(total), byPackage: top(byPackage), byFunction: top(byFunction) };
}

/** µs of the monotonic clock V8's profiler stamps its samples with (CLOCK_MONOTONIC). */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** A mysql2 connection to a bench database, times in UTC as the API writes them. */
export function connectDb(url) {
  return mysql.createConnection({ uri: url, timezone: 'Z', supportBigNumbers: true, dateStrings: false });
}

export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `order:updated` events with `status` as the realtime servers receive them from the API (its
 * Socket.IO emitter publishes on Redis after commit), with the time of receipt; a second event for
 * the same order and status is counted as a duplicate.
 */
export async function watchOrderUpdates(run, status) {
  const notepack = createRequire(requireFromApi.resolve('@socket.io/redis-emitter'))('notepack.io');
  const subscriber = new Redis(common.redisUrl);
  const received = new Map();
  let duplicates = 0;
  subscriber.on('pmessageBuffer', (_pattern, _channel, message) => {
    const at = Date.now();
    try {
      const [, packet] = notepack.decode(message);
      const [event, payload] = packet.data;
      if (event !== 'order:updated' || payload.status !== status) return;
      if (received.has(payload.orderId)) duplicates++;
      else received.set(payload.orderId, { at, expiresAt: Date.parse(payload.expiresAt) });
    } catch {
      // not a Socket.IO broadcast
    }
  });
  await subscriber.psubscribe(`${run.redisPrefix}socket.io#/#*`);
  return {
    received,
    get duplicates() {
      return duplicates;
    },
    close: () => subscriber.disconnect(),
  };
}

/** JSON over fetch, for setup; throws on an unexpected status. */
export async function call(url, method, path, { body, token, expect = [200, 201] } = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!expect.includes(response.status)) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return parsed;
}

export async function loginAdmin(run, url) {
  const { accessToken } = await call(url, 'POST', '/api/auth/login', { body: run.admin });
  return accessToken;
}

export async function createProduct(url, adminToken, { name, stock, price = 12_900 }) {
  return call(url, 'POST', '/api/products', {
    token: adminToken,
    body: { name, description: `benchmark product (${name})`, price, currency: 'KRW', stock },
  });
}

/**
 * Registers `count` shoppers (argon2 makes this slow, so few, a few at a time), each with a
 * default address. Answers [{userId, email, token, addressId}].
 */
export async function registerShoppers(run, url, count, concurrency = 4) {
  const shoppers = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      const index = next++;
      const email = `shopper-${index}-${run.runId}@vitrine.test`;
      const { user, accessToken } = await call(url, 'POST', '/api/auth/register', {
        body: { email, password: `pw-${run.runId}-${index}`, name: `Shopper ${index}` },
      });
      const address = await call(url, 'POST', '/api/addresses', {
        token: accessToken,
        body: {
          recipient: `Shopper ${index}`,
          phone: '+82 10 1234 5678',
          line1: `${index} Benchmark-ro`,
          city: 'Seoul',
          postalCode: '04524',
          country: 'KR',
          isDefault: true,
        },
      });
      shoppers[index] = { userId: user.id, email, token: accessToken, addressId: address.id };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return shoppers;
}

/**
 * An unknown path under /api: answered 404 by the API without touching the database or Redis
 * (health would ping both, and 500 health checks at once time out), so it only opens connections.
 */
export const WARM_PATH = '/api/bench-warm-connection';

/** A keep-alive agent with `sockets` connections already open. */
export async function warmAgent(url, sockets) {
  // lifo: between bursts, the few sockets in use are the freshest, never one the server is closing
  // after its keep-alive timeout (5 s).
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: 'lifo' });
  await openSockets(agent, url, sockets);
  return agent;
}

/** Makes `count` requests at once on `agent`, so that it holds `count` open connections. */
export async function openSockets(agent, url, count) {
  await Promise.all(Array.from({ length: count }, () => send(agent, url, 'GET', WARM_PATH)));
}

/** One request on `agent`; answers {status, body, startedAt, endedAt} (performance.now() ms). */
export function send(agent, url, method, path, { body, token } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const target = new URL(path, url);
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const req = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const endedAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed, startedAt, endedAt });
        });
      },
    );
    req.on('error', (error) =>
      resolve({
        status: 0,
        body: { error: { code: error.code ?? error.message } },
        startedAt,
        endedAt: performance.now(),
      }),
    );
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * Open-loop load: `rate` requests a second, evenly spaced, for `seconds`, whatever the answers do,
 * so a slow server is offered the same load and its slowness shows. (autocannon's rate limit
 * sends each connection's quota at the start of every second: 1,000 connections at one request a
 * second are a burst of 1,000 once a second, not a steady rate.) Each latency runs from the
 * request's scheduled time to its answer, so time spent waiting for a free connection counts.
 * `request(index)` sends request number `index` and answers `send`'s result.
 */
export async function pacedLoad({ rate, seconds, request, onAnswer }) {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const scheduledAt = started + (sent * 1000) / rate;
      inFlight.push(request(sent).then((answer) => onAnswer(answer, answer.endedAt - scheduledAt)));
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  return { sent, seconds: (performance.now() - started) / 1000 };
}

/** Nearest-rank percentile of an array of numbers (copied and sorted here). */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? value : Number(value.toFixed(digits));

/** CPU seconds (user + system) a process has used so far, from /proc; null if it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime; CLK_TCK = 100
  } catch {
    return null;
  }
}

/** The MariaDB/MySQL server's pid if it runs on this machine (for CPU accounting), else null. */
export function findPid(...names) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

export async function redisServerPid(redis) {
  const info = await redis.info('server');
  const pid = /process_id:(\d+)/.exec(info)?.[1];
  return pid ? Number(pid) : null;
}

/** Samples CPU seconds of named processes; `delta()` answers what each used since the sample. */
export function cpuMeter(processes) {
  const start = Object.fromEntries(Object.entries(processes).map(([key, pid]) => [key, pid ? cpuSeconds(pid) : null]));
  const startedAt = performance.now();
  return {
    delta() {
      const seconds = (performance.now() - startedAt) / 1000;
      const used = {};
      for (const [key, pid] of Object.entries(processes)) {
        const now = pid ? cpuSeconds(pid) : null;
        used[key] = now === null || start[key] === null ? null : round(now - start[key], 2);
      }
      const self = process.cpuUsage();
      return {
        wallSeconds: round(seconds, 2),
        cpuSeconds: used,
        benchProcessCpuTotalSeconds: round((self.user + self.system) / 1e6, 2),
      };
    },
  };
}

const DB_COUNTERS = [
  'Questions',
  'Com_commit',
  'Com_begin',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
  'Com_set_option',
  'Innodb_row_lock_waits',
  'Innodb_row_lock_time',
  'Innodb_os_log_fsyncs',
  'Innodb_data_fsyncs',
  'Innodb_deadlocks',
  'Handler_commit',
];

/** Global server counters (they include whatever else runs on this shared server). */
export async function dbCounters(connection) {
  const [rows] = await connection.query(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${DB_COUNTERS.map((name) => `'${name}'`).join(',')})`,
  );
  return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
}

export function counterDelta(before, after) {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - (before[key] ?? 0)]));
}

export function machine() {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
  };
}

export function writeResults(name, report) {
  const results = join(root, 'bench/results');
  mkdirSync(results, { recursive: true });
  const dated = join(results, `${name}-${report.date.slice(0, 10)}.json`);
  for (const file of [dated, join(results, `${name}-latest.json`)])
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwritten: ${dated} and bench/results/${name}-latest.json`);
}

/** Runs `main(run)`, always cleans up, exits 1 on failure. */
export async function runBenchmark(run, main) {
  let failed = false;
  const interrupt = () => {
    failed = true;
    run.cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  try {
    await main();
  } catch (error) {
    failed = true;
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  } finally {
    if (process.env.BENCH_KEEP !== '1') {
      await run.cleanUp().catch((error) => process.stderr.write(`clean-up failed: ${error.message}\n`));
    } else {
      await run.stopChildren();
      log(`BENCH_KEEP=1: kept database ${run.database} and Redis prefix ${run.redisPrefix}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
