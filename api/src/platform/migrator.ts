import type { Redis } from 'ioredis';
import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { MIGRATIONS } from '../migrations/index.js';
import type { Logger } from './logger.js';
import { withLock } from './redis-lock.js';

export function createMigrator(sequelize: Sequelize, logger: Logger) {
  return new Umzug<QueryInterface>({
    migrations: MIGRATIONS.map((migration) => ({
      name: migration.name,
      up: ({ context }) => migration.up(context),
      down: ({ context }) => migration.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (message) => logger.info('migration', { migration: message }),
      warn: (message) => logger.warn('migration', { migration: message }),
      error: (message) => logger.error('migration', { migration: message }),
      debug: (message) => logger.debug('migration', { migration: message }),
    },
  });
}

/**
 * Applies pending migrations. API processes starting together take turns through a Redis lock;
 * the second one then finds nothing pending.
 */
export async function migrateToLatest(
  sequelize: Sequelize,
  redis: Redis,
  lockKey: string,
  logger: Logger,
): Promise<string[]> {
  return withLock(redis, lockKey, { ttlMs: 30_000, waitMs: 120_000 }, async () => {
    const applied = await createMigrator(sequelize, logger).up();
    return applied.map((migration) => migration.name);
  });
}
