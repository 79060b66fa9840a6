import type { Redis } from 'ioredis';
import type Queue from 'bull';
import type { Logger } from '../../platform/logger.js';
import { allFulfilled, createGroupCommit } from '../../platform/group-commit.js';
import {
  createQueue,
  registerProcessors,
  withTrace,
  type QueueOptions,
  type TracedJob,
  closeQueue,
} from '../../platform/queues.js';
import { tryAcquireLock } from '../../platform/redis-lock.js';
import type { ExpiryScheduler, OrdersService } from './orders.service.js';

export const ORDERS_QUEUE = 'orders';
export const EXPIRE_UNPAID_ORDER = 'orders.expire-unpaid';
const JOB_NAMES = [EXPIRE_UNPAID_ORDER] as const;

export interface ExpireUnpaidOrderJob extends TracedJob {
  orderId: string;
}

/** Bull refuses ids containing ':' or made only of digits; this one is neither, and unique per order. */
const expiryJobId = (orderId: string) => `order-${orderId}-expire`;

/**
 * Expiry jobs fire on this grid (the first point at or after the deadline). Bull moves due delayed
 * jobs with one script call per distinct due time; deadlines a fraction of a millisecond apart
 * (a flash sale) would cost a call each, a few thousand a second, where the grid needs fifty.
 */
const EXPIRY_GRID_MS = 20;
const dueOnGrid = (expiresAt: Date) => Math.ceil(expiresAt.getTime() / EXPIRY_GRID_MS) * EXPIRY_GRID_MS;

/**
 * The Bull job that expires one order at its deadline (on the grid): one per order, deduplicated
 * by its id, retried with backoff. Exported so that tools which queue jobs themselves (the expiry
 * benchmark) queue exactly these.
 */
export function expiryJob(data: ExpireUnpaidOrderJob, expiresAt: Date, now = Date.now()) {
  return {
    name: EXPIRE_UNPAID_ORDER,
    data,
    opts: {
      jobId: expiryJobId(data.orderId),
      // Bull adds the delay to this timestamp; both come from one clock reading, so the job lands on the grid.
      timestamp: now,
      delay: Math.max(0, dueOnGrid(expiresAt) - now),
      attempts: 5,
      backoff: { type: 'exponential' as const, delay: 200 },
      removeOnComplete: true,
      removeOnFail: 1_000,
    },
  };
}

const SWEEP_INTERVAL_MS = 1_000;
/** Orders expired in one transaction, at most: by a batch of jobs (topped up with other due orders) or the sweeper. */
const EXPIRY_BATCH = 1000;

/**
 * On-time expiry of unpaid orders: one delayed Bull job per order fires at its deadline. The
 * database's `expires_at` stays the truth: at start (and when Redis comes back) every pending order
 * is scheduled again, and a sweeper, one process at a time, expires whatever is overdue, so orders
 * expire even if every process was killed and Redis was emptied meanwhile.
 */
export function createOrderExpiry(deps: {
  orders: OrdersService;
  redis: Redis;
  queueOptions: QueueOptions;
  sweeperLockKey: string;
  logger: Logger;
}) {
  const { orders, redis, logger } = deps;
  const queue: Queue.Queue<ExpireUnpaidOrderJob> = createQueue(ORDERS_QUEUE, deps.queueOptions);
  let sweeper: NodeJS.Timeout | undefined;
  let sweeping = false;
  // Deadlines cluster (a flash sale's unpaid orders expire together): jobs that fire while a batch
  // of expiries is being written are expired together in the next one (see group-commit.ts).
  const expiryBatch = createGroupCommit<ExpireUnpaidOrderJob, void>({
    maxBatch: EXPIRY_BATCH,
    commit: async (jobs) => {
      const { failed } = await orders.expireUnpaidOrders(jobs, { upTo: EXPIRY_BATCH });
      // A job whose order could not be expired fails (and is retried), the others succeed.
      return jobs.map((job) =>
        failed.has(job.orderId)
          ? { status: 'rejected', reason: failed.get(job.orderId) }
          : { status: 'fulfilled', value: undefined },
      );
    },
  });
  // Orders placed together are scheduled together: one round trip to Redis for a batch of jobs.
  const jobsToAdd = createGroupCommit<Parameters<typeof queue.addBulk>[0][number], void>({
    maxBatch: 500,
    commit: async (jobs) => {
      await queue.addBulk([...jobs]);
      return allFulfilled(jobs.map(() => undefined));
    },
  });

  const scheduler: ExpiryScheduler = {
    schedule(orderId, expiresAt) {
      return jobsToAdd.add(expiryJob(withTrace<ExpireUnpaidOrderJob>({ orderId }), expiresAt));
    },
    async unschedule(orderId) {
      const job = await queue.getJob(expiryJobId(orderId));
      await job?.remove().catch(() => undefined);
    },
  };

  /** Expires overdue orders; only the process holding the sweeper lock does it. */
  async function sweepOverdue(): Promise<number> {
    const lock = await tryAcquireLock(redis, deps.sweeperLockKey, 10_000);
    if (!lock) return 0;
    try {
      let expired = 0;
      for (;;) {
        const batch = await orders.expireUnpaidOrders([], { upTo: EXPIRY_BATCH });
        expired += batch.expired;
        if (batch.expired < EXPIRY_BATCH) break;
        await lock.extend(10_000);
      }
      if (expired > 0) logger.info('sweeper expired overdue orders', { orders: { expired } });
      return expired;
    } finally {
      await lock.release();
    }
  }

  /** Schedules (again) every pending order; Bull ignores an id it already holds. */
  async function rescheduleAllPending(): Promise<number> {
    let scheduled = 0;
    let afterId: string | undefined;
    for (;;) {
      const pending = await orders.findPendingOrders(1_000, afterId);
      if (pending.length === 0) break;
      await Promise.all(pending.map((order) => scheduler.schedule(order.id, order.expiresAt)));
      scheduled += pending.length;
      afterId = pending[pending.length - 1]?.id;
    }
    return scheduled;
  }

  const safely = (what: string, work: () => Promise<unknown>) =>
    void work().catch((error: unknown) => logger.warn(`${what} failed`, { err: error }));

  return {
    scheduler,
    queue,
    sweepOverdue,
    rescheduleAllPending,

    /** Runs the expiry worker in this process: the job processor, the sweeper and rescheduling. */
    async start(): Promise<void> {
      registerProcessors(
        queue,
        JOB_NAMES,
        {
          [EXPIRE_UNPAID_ORDER]: { concurrency: 200, run: (job) => expiryBatch.add(job) },
        },
        logger,
      );
      await sweepOverdue().catch((error: unknown) => logger.warn('first sweep failed', { err: error }));
      safely('rescheduling pending orders', rescheduleAllPending);
      // Redis may come back empty (restart without persistence): its delayed jobs are then gone.
      redis.on('ready', () => safely('rescheduling pending orders', rescheduleAllPending));
      sweeper = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        sweepOverdue()
          .catch((error: unknown) => logger.warn('sweep failed', { err: error }))
          .finally(() => (sweeping = false));
      }, SWEEP_INTERVAL_MS);
    },

    async stop(): Promise<void> {
      if (sweeper) clearInterval(sweeper);
      // Bull's connections retry forever: with Redis away, scheduling would hold the shutdown (the
      // orders are in the database; the next process schedules them again at start).
      await jobsToAdd.drain(3_000);
      await closeQueue(queue);
      // Bull waited for running jobs; a batch they were waiting on finishes before the pool closes.
      await expiryBatch.drain(5_000);
    },
  };
}
export type OrderExpiry = ReturnType<typeof createOrderExpiry>;
