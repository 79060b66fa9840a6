import Queue from 'bull';
import type { Logger } from './logger.js';
import { currentTraceId, newTraceId, runWithTrace } from './trace-context.js';

/** Every job carries the trace id of the request that caused it, so its logs join that request's. */
export interface TracedJob {
  traceId?: string;
}

export interface QueueOptions {
  redisUrl: string;
  /** Bull adds `:<queue>:…` after it; from `redisKeys(prefix).bull`. */
  prefix: string;
}

/** A Bull queue on the configured Redis; Bull's own connections must retry forever, unlike command clients. */
export function createQueue<T extends TracedJob>(name: string, options: QueueOptions): Queue.Queue<T> {
  return new Queue<T>(name, options.redisUrl, {
    prefix: options.prefix,
    redis: { maxRetriesPerRequest: null, enableReadyCheck: false },
    settings: { stalledInterval: 10_000, maxStalledCount: 3 },
  });
}

export function withTrace<T extends TracedJob>(data: Omit<T, 'traceId'>): T {
  return { ...data, traceId: currentTraceId() ?? newTraceId() } as T;
}

/**
 * Registers processors by job name. A worker refuses to start if any job name has no processor,
 * so a typo can't leave jobs waiting forever.
 */
export function registerProcessors<T extends TracedJob>(
  queue: Queue.Queue<T>,
  jobNames: readonly string[],
  processors: Record<string, { concurrency: number; run: (data: T) => Promise<unknown> }>,
  logger: Logger,
): void {
  const missing = jobNames.filter((jobName) => !processors[jobName]);
  if (missing.length > 0) throw new Error(`queue ${queue.name}: no processor for ${missing.join(', ')}`);
  for (const [jobName, processor] of Object.entries(processors)) {
    void queue.process(jobName, processor.concurrency, (job) =>
      runWithTrace(job.data.traceId ?? newTraceId(), () => processor.run(job.data)),
    );
  }
  queue.on('failed', (job, error) => {
    logger.error('job failed', { err: error, job: { id: job.id, name: job.name, attempts: job.attemptsMade } });
  });
  queue.on('error', (error) => logger.warn('queue error', { err: error, queue: { name: queue.name } }));
}

/**
 * Closes a queue, letting running jobs finish for up to `timeoutMs`. Bull's own close waits for
 * Redis to answer; with Redis gone it would hold a shutdown for minutes, so its connections are
 * then dropped (unfinished jobs are retried by the next worker, the database being the truth).
 */
export async function closeQueue(queue: Queue.Queue, timeoutMs = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closed = queue.close().then(() => true);
  const gaveUp = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), timeoutMs);
  });
  try {
    if (await Promise.race([closed, gaveUp])) return;
    for (const client of queue.clients) client.disconnect();
    closed.catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
