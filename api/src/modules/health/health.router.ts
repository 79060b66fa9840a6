import { HealthStatus, type DependencyStatus, type ErrorBody } from '@vitrine/contracts';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { defineRoute, type Route } from '../../platform/http/route.js';
import { pingRedis } from '../../platform/redis.js';

async function databaseStatus(sequelize: Sequelize): Promise<DependencyStatus> {
  try {
    await sequelize.query('SELECT 1');
    return 'ok';
  } catch {
    return 'unavailable';
  }
}

export function healthRoutes(deps: { sequelize: Sequelize; redis: Redis }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Whether the API and its database and Redis answer',
      tag: 'health',
      access: 'public',
      responses: {
        200: { description: 'Everything answers', schema: HealthStatus },
        503: { description: 'A dependency does not answer; the body names it', schema: HealthStatus },
      },
      async handle() {
        const [db, redis] = await Promise.all([databaseStatus(deps.sequelize), pingRedis(deps.redis)]);
        const redisStatus: DependencyStatus = redis ? 'ok' : 'unavailable';
        if (db === 'ok' && redisStatus === 'ok') {
          return { status: 200, body: { status: 'ok', db, redis: redisStatus } satisfies HealthStatus };
        }
        const failing = [db !== 'ok' && 'db', redisStatus !== 'ok' && 'redis'].filter(Boolean);
        // The health fields stay at the top level; the contract's error shape rides along for generic clients.
        const body: HealthStatus & ErrorBody = {
          status: 'unavailable',
          db,
          redis: redisStatus,
          error: { code: 'SERVICE_UNAVAILABLE', message: `Not answering: ${failing.join(', ')}`, details: { failing } },
        };
        return { status: 503, body };
      },
    }),
  ];
}
