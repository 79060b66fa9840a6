import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { Sequelize, Transaction } from 'sequelize';
import type { Logger } from './logger.js';

export type Dialect = 'mysql' | 'sqlite';

export interface DatabaseTarget {
  dialect: Dialect;
  /** sqlite: absolute file path; mysql: the database name. */
  database: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
}

/** `mysql://u:p@host:3306/db`, `mariadb://…` (same wire protocol, served by mysql2) or `sqlite:path/to/file.sqlite`. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path || path === ':memory:') throw new Error('DATABASE_URL must name a SQLite file, not :memory:');
    return { dialect: 'sqlite', database: resolve(path) };
  }
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL must name a database, e.g. mysql://root@127.0.0.1:3306/vitrine');
  return {
    dialect: 'mysql',
    database,
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
  };
}

/** Creates the MySQL/MariaDB database if it is missing, so a fresh server needs no manual step. */
async function ensureMysqlDatabase(target: DatabaseTarget): Promise<void> {
  const connection = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${target.database.replaceAll('`', '')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

interface SqliteConnection {
  configure(option: 'busyTimeout', milliseconds: number): void;
  exec(sql: string, done: (error: Error | null) => void): void;
}

/**
 * Sequelize opens a separate SQLite connection per transaction and runs no connect hooks for
 * SQLite, so each new connection is configured here: WAL lets readers run beside the writer, and
 * a busy timeout makes a writer wait its turn instead of failing with SQLITE_BUSY.
 */
function configureEverySqliteConnection(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options: unknown): Promise<SqliteConnection>;
  };
  const getConnection = manager.getConnection.bind(manager);
  const configured = new WeakSet<SqliteConnection>();
  manager.getConnection = async (options) => {
    const connection = await getConnection(options);
    if (!configured.has(connection)) {
      configured.add(connection);
      connection.configure('busyTimeout', 15_000);
      await new Promise<void>((done, fail) =>
        connection.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;', (error) =>
          error ? fail(error) : done(),
        ),
      );
    }
    return connection;
  };
}

/**
 * SQLite admits one writer at a time, and node-sqlite3 waits for a busy database on one of libuv's
 * four worker threads: a handful of writers waiting there would starve the thread the lock holder
 * needs to commit. So this process queues its own writes (transactions and lone INSERT/UPDATE/
 * DELETE) and hands SQLite one at a time; other processes on the same file are still queued by
 * the busy timeout.
 */
function serializeSqliteWrites(sequelize: Sequelize): void {
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };

  const transaction = sequelize.transaction.bind(sequelize) as (...args: unknown[]) => Promise<unknown>;
  (sequelize as unknown as { transaction: (...args: unknown[]) => Promise<unknown> }).transaction = (...args) =>
    // An unmanaged transaction (no callback) cannot be queued: its end is not ours to see.
    typeof args[args.length - 1] === 'function' ? inTurn(() => transaction(...args)) : transaction(...args);

  const query = sequelize.query.bind(sequelize) as (
    sql: unknown,
    options?: { transaction?: unknown },
  ) => Promise<unknown>;
  (sequelize as unknown as { query: typeof query }).query = (sql, options) => {
    const text = typeof sql === 'string' ? sql : ((sql as { query?: string } | null)?.query ?? '');
    const isWrite = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text);
    return isWrite && !options?.transaction ? inTurn(() => query(sql, options)) : query(sql, options);
  };
}

/**
 * Sequelize 6 runs `afterCommit` hooks in a `finally`, so also when COMMIT fails (sequelize#14902,
 * fixed in v7 by #14903): the outbox would announce a batch of orders that may not exist, and stock
 * counters would be given back for expiries that never happened. Here the hooks run only once COMMIT
 * succeeded; after a COMMIT whose outcome is unknown, the outbox poller publishes the events if
 * their rows are there.
 */
function runAfterCommitHooksOnlyAfterACommit(): void {
  type Hooked = { commit: (this: Hooked) => Promise<void>; _afterCommitHooks: ((transaction: unknown) => unknown)[] };
  const prototype = Transaction.prototype as unknown as Hooked & { commitHooksOnSuccess?: true };
  if (prototype.commitHooksOnSuccess) return;
  const commit = prototype.commit;
  prototype.commit = async function (this: Hooked) {
    const hooks = this._afterCommitHooks;
    this._afterCommitHooks = [];
    await commit.call(this);
    for (const hook of hooks) await hook.apply(this, [this]);
  };
  prototype.commitHooksOnSuccess = true;
}

export async function connectDatabase(url: string, logger: Logger): Promise<Sequelize> {
  runAfterCommitHooksOnlyAfterACommit();
  const target = parseDatabaseUrl(url);
  const logging = logger.isDebugEnabled()
    ? (sql: string) => logger.debug(sql, { event: { category: ['database'] } })
    : false;

  if (target.dialect === 'sqlite') {
    mkdirSync(dirname(target.database), { recursive: true });
    const sequelize = new Sequelize({
      dialect: 'sqlite',
      storage: target.database,
      logging,
      // SQLite has one writer: taking the write lock at BEGIN lets busy_timeout queue writers,
      // where a DEFERRED transaction that reads first would fail with SQLITE_BUSY on its first write.
      transactionType: Transaction.TYPES.IMMEDIATE,
    });
    configureEverySqliteConnection(sequelize);
    serializeSqliteWrites(sequelize);
    await sequelize.authenticate();
    return sequelize;
  }

  await ensureMysqlDatabase(target);
  const sequelize = new Sequelize(target.database, target.user ?? 'root', target.password, {
    dialect: 'mysql',
    host: target.host,
    port: target.port,
    logging,
    timezone: '+00:00',
    pool: { max: 20, min: 0, idle: 10_000, acquire: 30_000 },
    dialectOptions: { charset: 'utf8mb4', supportBigNumbers: true },
  });
  // Correctness rests on conditional updates and unique keys, not on snapshots; READ COMMITTED
  // takes no gap locks, so unrelated inserts (two users' first addresses) cannot deadlock, and a
  // lone UPDATE (marking outbox rows published) does not lock the gaps that concurrent orders
  // insert into. Set once per connection, for transactions and single statements alike, instead of
  // one extra round trip at the start of every transaction.
  sequelize.addHook('afterConnect', async (connection) => {
    const raw = connection as { query(sql: string, done: (error: Error | null) => void): void };
    await new Promise<void>((done, fail) =>
      raw.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (error) => (error ? fail(error) : done())),
    );
  });
  await sequelize.authenticate();
  // MySQL 8 and MariaDB 10.6+ have SELECT … FOR UPDATE SKIP LOCKED; Sequelize 6's mysql dialect does
  // not declare it, and would silently drop the `skipLocked` option without this.
  const dialect = (sequelize as unknown as { dialect: { supports: Record<string, unknown> } }).dialect;
  dialect.supports = { ...dialect.supports, skipLocked: true };
  return sequelize;
}

export function dialectOf(sequelize: Sequelize): Dialect {
  return sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
}

/** A transaction that lost a deadlock or a lock wait (MySQL) or found the database busy (SQLite) may simply be run again. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { parent?: { code?: string } } | null)?.parent?.code;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY';
}
