import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StockSnapshot } from '@vitrine/contracts';

/** Stands in for the API's `GET /api/stock` in realtime-only tests: answers from `stock`/`seq`, records each call. */
export interface StubApi {
  url: string;
  stock: Map<string, number>;
  seq: Map<string, number>;
  /** The ids of each request, in order. */
  requests: string[][];
  /** While set, every request answers this status. */
  failWith: number | undefined;
  close(): Promise<void>;
}

export async function startStubApi(): Promise<StubApi> {
  const stub: Omit<StubApi, 'url' | 'close'> = { stock: new Map(), seq: new Map(), requests: [], failWith: undefined };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    if (url.pathname !== '/api/stock') {
      response.writeHead(404).end();
      return;
    }
    const ids = (url.searchParams.get('productIds') ?? '').split(',');
    stub.requests.push(ids);
    if (stub.failWith !== undefined) {
      response.writeHead(stub.failWith, { 'content-type': 'application/json' }).end('{"error":{}}');
      return;
    }
    const body: StockSnapshot = { stock: {}, seq: {} };
    for (const id of ids) {
      const value = stub.stock.get(id);
      if (value === undefined) continue;
      body.stock[id] = value;
      body.seq[id] = stub.seq.get(id) ?? 0;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
