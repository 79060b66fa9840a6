import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The trace of one unit of work (an HTTP request, a job run), carried implicitly through async calls. */
export interface TraceContext {
  traceId: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

export function newTraceId(): string {
  return randomUUID().replaceAll('-', '');
}

export function runWithTrace<T>(traceId: string, work: () => T): T {
  return storage.run({ traceId }, work);
}

export function currentTraceId(): string | undefined {
  return storage.getStore()?.traceId;
}
