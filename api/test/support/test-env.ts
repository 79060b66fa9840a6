import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';

/**
 * Each test run (and each test file within it) gets its own database and Redis key prefix, so
 * runs on one machine never see each other. `scripts/test.mjs` sets the run id and the dialect.
 */
export const RUN_ID = process.env['VITRINE_TEST_RUN_ID'] ?? randomBytes(3).toString('hex');
export const TEST_DIALECT = process.env['TEST_DATABASE'] === 'sqlite' ? 'sqlite' : 'mysql';
const MYSQL_SERVER = process.env['TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

let sequence = 0;

export interface TestStore {
  databaseUrl: string;
  redisKeyPrefix: string;
  /** Drops the database and deletes every Redis key under the prefix. */
  destroy(): Promise<void>;
}

export function createTestStore(): TestStore {
  const name = `vt_${RUN_ID}_${process.pid}_${++sequence}`;
  const redisKeyPrefix = `vitrine-test:${name}:`;
  const sqliteFile = join(tmpdir(), `${name}.sqlite`);
  const databaseUrl = TEST_DIALECT === 'sqlite' ? `sqlite:${sqliteFile}` : `${MYSQL_SERVER}/${name}`;

  return {
    databaseUrl,
    redisKeyPrefix,
    async destroy() {
      if (TEST_DIALECT === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqliteFile}${suffix}`, { force: true });
      } else {
        const connection = await mysql.createConnection(MYSQL_SERVER);
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await connection.end();
      }
      await deleteRedisKeys(redisKeyPrefix);
    },
  };
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
