import { Emitter } from '@socket.io/redis-emitter';
import type { ServerToClientEvents } from '@vitrine/contracts';
import type { Redis } from 'ioredis';

type EventName = keyof ServerToClientEvents;

/**
 * Emits Socket.IO events to rooms on every realtime process, through the same Redis channel their
 * adapter listens on (`<prefix>socket.io`). The emitter publishes without awaiting; this hands
 * back that publish, so a failed one is seen (and retried) instead of ending the process unhandled.
 */
export function createSocketEmitter(redis: Redis, keyPrefix: string) {
  let lastPublish: Promise<unknown> | undefined;
  const client = {
    publish(channel: string, message: Buffer): Promise<unknown> {
      lastPublish = redis.publish(channel, message);
      return lastPublish;
    },
  };
  const emitter = new Emitter<ServerToClientEvents>(client, { key: `${keyPrefix}socket.io` });

  return {
    /** Resolves once Redis took the message (it then reaches every realtime process subscribed). */
    async toRoom<N extends EventName>(room: string, event: N, payload: Parameters<ServerToClientEvents[N]>[0]) {
      lastPublish = undefined;
      // The emitter's typed params are a tuple built from the event map; this is that tuple's only member.
      (emitter.to(room).emit as (event: N, payload: unknown) => true)(event, payload);
      const published = lastPublish as Promise<unknown> | undefined;
      lastPublish = undefined;
      await published;
    },
  };
}
export type SocketEmitter = ReturnType<typeof createSocketEmitter>;
