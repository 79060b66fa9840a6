import type { ClientToServerEvents, ServerToClientEvents } from '@vitrine/contracts';
import { io as connectClient, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export type TestClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Opens real Socket.IO clients and closes every one of them at the end. */
export function createClientPool() {
  const clients: TestClient[] = [];
  return {
    /** Connects and resolves with the socket, or rejects with the `connect_error`. */
    connect(
      url: string,
      auth?: Record<string, unknown>,
      options: Partial<ManagerOptions & SocketOptions> = {},
    ): Promise<TestClient> {
      const socket: TestClient = connectClient(url, {
        path: '/socket.io',
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        ...(auth ? { auth } : {}),
        ...options,
      });
      clients.push(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (error) => {
          socket.close();
          reject(error);
        });
      });
    },

    closeAll(): void {
      for (const socket of clients.splice(0)) socket.close();
    },
  };
}

/** Resolves with the first event `name` on `socket` that `match` accepts, or rejects after `ms`. */
export function nextEvent<N extends keyof ServerToClientEvents>(
  socket: TestClient,
  name: N,
  match: (payload: Parameters<ServerToClientEvents[N]>[0]) => boolean = () => true,
  ms = 2_000,
): Promise<Parameters<ServerToClientEvents[N]>[0]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: Parameters<ServerToClientEvents[N]>[0]) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(name, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(name, listener as never);
      reject(new Error(`no matching ${String(name)} event within ${ms} ms`));
    }, ms);
    socket.on(name, listener as never);
  });
}
