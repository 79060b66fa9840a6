import { StockQuery, StockSnapshot } from '@vitrine/contracts';
import { defineRoute, type Route } from '../../platform/http/route.js';
import type { InventoryService } from '../inventory/index.js';
import type { StockFeed } from './stock-feed.js';

/** `GET /api/stock`: what a (re)connecting watcher starts from; the realtime server asks it for each watch. */
export function realtimeBridgeRoutes(deps: { inventory: InventoryService; feed: StockFeed }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/stock',
      summary: 'Current buyable stock of up to 100 products, with the seq of the last `stock` event each is as new as',
      tag: 'realtime',
      access: 'public',
      request: { query: StockQuery },
      responses: {
        200: {
          description:
            'Stock per product id (ids that name no product are left out); apply only `stock` events whose seq is above `seq[id]`',
          schema: StockSnapshot,
        },
      },
      async handle({ query, res }) {
        // The seq first, then the stock: the value is then at least as new as the event with that seq.
        const seqs = await deps.feed.lastSeq(query.productIds);
        const levels = await deps.inventory.availableStock(query.productIds);
        const body: StockSnapshot = { stock: {}, seq: {} };
        for (const [productId, available] of levels) {
          body.stock[productId] = available;
          body.seq[productId] = seqs.get(productId) ?? 0;
        }
        res.set('cache-control', 'no-store');
        return { status: 200, body };
      },
    }),
  ];
}
