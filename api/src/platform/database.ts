import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { Sequelize } from 'sequelize';
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

export async function connectDatabase(url: string, logger: Logger): Promise<Sequelize> {
  const target = parseDatabaseUrl(url);
  const logging = (sql: string) => logger.debug(sql, { event: { category: ['database'] } });

  if (target.dialect === 'sqlite') {
    mkdirSync(dirname(target.database), { recursive: true });
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: target.database, logging });
    // WAL lets readers run beside the writer; busy_timeout makes a second process wait instead of failing.
    sequelize.addHook('afterConnect', async (connection) => {
      const db = connection as { exec(sql: string, done: (error: Error | null) => void): void };
      await new Promise<void>((done, fail) =>
        db.exec('PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;', (error) =>
          error ? fail(error) : done(),
        ),
      );
    });
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
  await sequelize.authenticate();
  return sequelize;
}

export function dialectOf(sequelize: Sequelize): Dialect {
  return sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
}
