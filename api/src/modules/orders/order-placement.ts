import type { OrderAddress, OrderLine } from '@vitrine/contracts';
import { DatabaseError, TimeoutError, ValidationError, type Sequelize } from 'sequelize';
import { isRetryableTransactionError } from '../../platform/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { allFulfilled, createGroupCommit } from '../../platform/group-commit.js';
import type { Outbox } from '../../platform/outbox.js';
import type { AddressesService } from '../addresses/index.js';
import type { InventoryService, StockLine } from '../inventory/index.js';
import { orderEventPayload } from './order-events.js';
import type { NewOrder, OrderRecord, OrdersRepository } from './orders.repository.js';

/** What orders need from the catalog: the current name, price and currency of each product. */
export interface ProductsForOrder {
  getProductsForOrder(
    productIds: readonly string[],
  ): Promise<{ id: string; name: string; price: number; currency: string; deleted: boolean }[]>;
}

/** An order whose stock the Redis gate has reserved, waiting for the next batch to be written. */
export interface OrderRequest {
  orderId: string;
  userId: string;
  /** Normalized: one line per product, in the fixed product order. */
  lines: readonly StockLine[];
  addressId: string;
  /** The request that placed it: its `order.placed` event carries this trace. */
  traceId: string | undefined;
}

type Settled<T> = PromiseSettledResult<T>;

/** An error that may belong to some orders of a batch only: the fence's refusal, or a failed statement. */
const isOrderSpecific = (error: unknown) =>
  error instanceof AppError ||
  error instanceof ValidationError ||
  (error instanceof DatabaseError && !(error instanceof TimeoutError));
const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });

export interface OrderPlacementDeps {
  sequelize: Sequelize;
  repository: OrdersRepository;
  inventory: InventoryService;
  addresses: AddressesService;
  catalog: ProductsForOrder;
  outbox: Outbox;
  paymentTtlMs: number;
}

/**
 * Writing placed orders, by group commit: the orders that pass the Redis gate while a batch is
 * being written are written together in the next one. A batch costs a fixed handful of
 * statements (their addresses, their products, the order rows and lines, the ledger, one outbox
 * row, one conditional UPDATE per product, last), so under load an order costs a fraction of one,
 * and a hot product's row is locked once per batch, only until its commit.
 */
export function createOrderPlacement(deps: OrderPlacementDeps) {
  const { sequelize, repository, inventory, addresses, catalog, outbox } = deps;

  /** Each request's order with copied address and current prices, or why it cannot be placed. */
  async function priceAndAddress(requests: readonly OrderRequest[]): Promise<Settled<NewOrder>[]> {
    const [found, products] = await Promise.all([
      addresses.findOwnedMany(requests.map((request) => ({ userId: request.userId, id: request.addressId }))),
      catalog.getProductsForOrder([...new Set(requests.flatMap((request) => request.lines.map((l) => l.productId)))]),
    ]);
    const byId = new Map(products.map((product) => [product.id, product]));
    const expiresAt = new Date(Date.now() + deps.paymentTtlMs);
    return requests.map((request, index) => {
      const address = found[index];
      if (!address) return rejected(notFound('Address'));
      const items: OrderLine[] = [];
      const currencies = new Set<string>();
      for (const line of request.lines) {
        const product = byId.get(line.productId);
        if (!product || product.deleted) {
          return rejected(new AppError('NOT_FOUND', 'Product not found', { productId: line.productId }));
        }
        items.push({ productId: product.id, name: product.name, price: product.price, quantity: line.quantity });
        currencies.add(product.currency);
      }
      if (currencies.size > 1) {
        return rejected(new AppError('VALIDATION_FAILED', 'All items of one order must share a currency'));
      }
      const { id: _addressId, isDefault: _isDefault, ...copy } = address;
      const order: NewOrder = {
        id: request.orderId,
        userId: request.userId,
        items,
        total: items.reduce((sum, item) => sum + item.price * item.quantity, 0),
        currency: [...currencies][0] ?? 'KRW',
        address: copy satisfies OrderAddress,
        expiresAt,
      };
      return { status: 'fulfilled', value: order };
    });
  }

  /** One transaction: the rows and their `order.placed` events, then the stock (the fence) last. */
  const insert = (orders: readonly NewOrder[], traceIds: readonly (string | undefined)[]) =>
    sequelize.transaction(async (transaction) => {
      const records = await repository.insertMany(orders, transaction);
      await outbox.recordMany(
        transaction,
        'order.placed',
        records.map((record, index) => ({ payload: orderEventPayload(record), traceId: traceIds[index] })),
      );
      await inventory.reserveInDatabase(
        records.map((record) => ({ orderId: record.id, lines: record.items })),
        transaction,
      );
      return records;
    });

  /**
   * If the database refuses a batch for some order's sake (its stock, when Redis was ahead of the
   * database, or an error in a statement), the batch is split in halves and each written again,
   * down to single orders: only the orders that cannot be written fail, in about 2·log2(n) more
   * transactions rather than n. A lost deadlock is retried once as it was; a lost connection fails
   * the batch, as it would each of its orders.
   */
  async function write(
    orders: readonly NewOrder[],
    traceIds: readonly (string | undefined)[],
    retried = false,
  ): Promise<Settled<OrderRecord>[]> {
    try {
      return allFulfilled(await insert(orders, traceIds));
    } catch (error) {
      if (isRetryableTransactionError(error) && !retried) return write(orders, traceIds, true);
      if (orders.length === 1 || !isOrderSpecific(error)) return orders.map(() => rejected(error));
      const half = Math.ceil(orders.length / 2);
      const first = await write(orders.slice(0, half), traceIds.slice(0, half));
      return [...first, ...(await write(orders.slice(half), traceIds.slice(half)))];
    }
  }

  const batches = createGroupCommit<OrderRequest, OrderRecord>({
    maxBatch: 200,
    async commit(requests) {
      const priced = await priceAndAddress(requests);
      const writable = priced.flatMap((outcome, index) =>
        outcome.status === 'fulfilled' ? [{ order: outcome.value, traceId: requests[index]?.traceId }] : [],
      );
      const written =
        writable.length > 0
          ? await write(
              writable.map((entry) => entry.order),
              writable.map((entry) => entry.traceId),
            )
          : [];
      let next = 0;
      return priced.map((outcome) =>
        outcome.status === 'fulfilled' ? (written[next++] ?? rejected(new Error('order not written'))) : outcome,
      );
    },
  });

  return {
    /** Writes the order (in the next batch) and settles with it, or with why it was refused. */
    place: (request: OrderRequest): Promise<OrderRecord> => batches.add(request),
  };
}
