/**
 * Gathers items that arrive close together and hands them to `flush` in one call (at most
 * `maxSize` items, waiting at most `maxWaitMs` for more). Each `add` settles when its batch does,
 * so callers (e.g. Bull job handlers) keep their own success or failure.
 */
export function createMicroBatcher<T>(options: {
  maxSize: number;
  maxWaitMs: number;
  flush: (items: T[]) => Promise<unknown>;
}) {
  let items: T[] = [];
  let waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flushNow = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = items;
    const settle = waiters;
    items = [];
    waiters = [];
    if (batch.length === 0) return;
    options.flush(batch).then(
      () => settle.forEach((waiter) => waiter.resolve()),
      (error: unknown) => settle.forEach((waiter) => waiter.reject(error)),
    );
  };

  return {
    add(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= options.maxSize) flushNow();
        else timer ??= setTimeout(flushNow, options.maxWaitMs);
      });
    },
  };
}
