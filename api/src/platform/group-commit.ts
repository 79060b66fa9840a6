import { newTraceId, runWithTrace } from './trace-context.js';

/**
 * Group commit: items handed to `add` are written by `commit` in batches, one batch at a time.
 * Whatever arrives while a batch is being written goes into the next one, so an item alone is
 * written at once (in the same event-loop turn as its neighbours), and under load one write
 * carries many items: a hot row is then locked once per batch instead of once per item, and the
 * batch size follows the load by itself, with no timer to tune.
 *
 * `commit` answers one settled outcome per item, in order, so one bad item can fail alone; if it
 * throws, every item of the batch fails with that error. A batch carries many requests, so it runs
 * under a trace of its own (an item that needs its request's trace carries it).
 */
export function createGroupCommit<T, R>(options: {
  maxBatch: number;
  commit: (items: readonly T[]) => Promise<readonly PromiseSettledResult<R>[]>;
}) {
  interface Waiting {
    item: T;
    resolve: (value: R) => void;
    reject: (reason: unknown) => void;
  }
  let waiting: Waiting[] = [];
  let writing: Promise<void> | undefined;
  let writingCount = 0;
  let scheduled = false;

  function settle(batch: readonly Waiting[], outcomes: readonly PromiseSettledResult<R>[]): void {
    batch.forEach((entry, index) => {
      const outcome = outcomes[index];
      if (outcome?.status === 'fulfilled') entry.resolve(outcome.value);
      else entry.reject(outcome ? outcome.reason : new Error('group commit: no outcome for an item'));
    });
  }

  function writeNext(): void {
    scheduled = false;
    if (writing || waiting.length === 0) return;
    const batch = waiting.slice(0, options.maxBatch);
    waiting = waiting.slice(batch.length);
    writingCount = batch.length;
    writing = runWithTrace(newTraceId(), () => options.commit(batch.map((entry) => entry.item)))
      .then(
        (outcomes) => settle(batch, outcomes),
        (error: unknown) =>
          settle(
            batch,
            batch.map(() => ({ status: 'rejected', reason: error }) as const),
          ),
      )
      .finally(() => {
        writing = undefined;
        writingCount = 0;
        writeNext();
      });
  }

  return {
    /** Settles with the item's own outcome once the batch that carried it is written. */
    add(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        // Items that arrive in the same turn (a burst of requests, one Redis reply for many) go together.
        if (!writing && !scheduled) {
          scheduled = true;
          setImmediate(writeNext);
        }
      });
    },

    /** Items handed in but not yet settled. */
    get pending(): number {
      return waiting.length + writingCount;
    },

    /**
     * Resolves once everything handed in so far is written (for shutdown), or after `withinMs`
     * (a write that cannot finish, its database or Redis gone, must not hold a shutdown forever);
     * answers whether it all was.
     */
    async drain(withinMs = Infinity): Promise<boolean> {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<false>((done) => {
        if (Number.isFinite(withinMs)) timer = setTimeout(() => done(false), withinMs);
      });
      const written = (async () => {
        while (writing || waiting.length > 0) {
          if (!writing) writeNext();
          await writing;
        }
        return true as const;
      })();
      try {
        return await Promise.race([written, gaveUp]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
export type GroupCommit<T, R> = ReturnType<typeof createGroupCommit<T, R>>;

/** Every item of a batch written together succeeded with these values. */
export const allFulfilled = <R>(values: readonly R[]): PromiseSettledResult<R>[] =>
  values.map((value) => ({ status: 'fulfilled', value }));
