import type {
  AdjustStockBody,
  CreateProductBody,
  Product,
  ProductListQuery,
  UpdateProductBody,
} from '@vitrine/contracts';
import type { Sequelize, Transaction } from 'sequelize';
import { notFound } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { InventoryService } from '../inventory/index.js';
import { CATALOG_CACHE_POLICY, type CatalogCache } from './catalog.cache.js';
import { pageCodec, productCodec, renderPage } from './catalog.codecs.js';
import type { CatalogRepository, ProductData, ProductFields, ProductForOrder } from './catalog.repository.js';

export type { ProductForOrder } from './catalog.repository.js';

/** A change of one product's reviews: +1/+rating for a new review, 0/+diff for an edit, -1/-rating for a removal. */
export interface RatingChange {
  countDelta: number;
  totalDelta: number;
}

const withStock = (product: ProductData, stock: ReadonlyMap<string, number>): Product => ({
  ...product,
  stock: stock.get(product.id) ?? 0,
});

/**
 * Products: admin management, the public listing and detail. Reads go through the cache, which
 * holds products without stock; stock is laid over every answer from inventory's counters, so
 * orders never evict a cached page and a listed stock is as fresh as the counters.
 */
export function createCatalogService(deps: {
  sequelize: Sequelize;
  repository: CatalogRepository;
  cache: CatalogCache;
  inventory: InventoryService;
  events: EventBus;
}) {
  const { sequelize, repository, cache, inventory, events } = deps;

  /** After commit: every process's next read misses these products and the lists, and listeners hear of it. */
  const announceAfterCommit = (transaction: Transaction, productId: string) => {
    transaction.afterCommit(async () => {
      await cache.productsChanged([productId]);
      events.publish('product.changed', { productId });
    });
  };

  const findListed = (id: string): Promise<ProductData | null> =>
    cache.read(
      cache.keys.product(id),
      () => repository.findListed(id),
      productCodec,
      (found) => (found ? CATALOG_CACHE_POLICY.entryTtlSeconds : CATALOG_CACHE_POLICY.missingTtlSeconds),
    );

  const requireListed = async (id: string, transaction?: Transaction): Promise<ProductData> => {
    const product = transaction ? await repository.findListed(id, transaction) : await findListed(id);
    if (!product) throw notFound('Product');
    return product;
  };

  const answer = async (product: ProductData): Promise<Product> =>
    withStock(product, await inventory.availableStock([product.id]));

  return {
    /** One page of listed products with their current stock, as the JSON of a `ProductList`. */
    async listPage(query: ProductListQuery): Promise<Buffer> {
      const q = query.q ? query.q : undefined;
      const template = await cache.read(
        cache.keys.list({ sort: query.sort, page: query.page, limit: query.limit, q }),
        () => repository.list({ q, sort: query.sort, offset: (query.page - 1) * query.limit, limit: query.limit }),
        pageCodec(query.page, query.limit),
        () => CATALOG_CACHE_POLICY.entryTtlSeconds,
      );
      return renderPage(template, await inventory.availableStock(template.ids));
    },

    /** A listed product; NOT_FOUND for unknown and deleted ones. */
    async get(id: string): Promise<Product> {
      return answer(await requireListed(id));
    },

    /** Creates a product and its initial stock in one transaction. */
    async create(body: CreateProductBody): Promise<Product> {
      const product = await sequelize.transaction(async (transaction) => {
        const created = await repository.insert(
          {
            name: body.name,
            description: body.description,
            price: body.price,
            currency: body.currency,
            imageUrl: body.imageUrl ?? null,
          },
          transaction,
        );
        await inventory.seedStock(created.id, body.stock, transaction);
        announceAfterCommit(transaction, created.id);
        return created;
      });
      return answer(product);
    },

    /** Edits a listed product (stock moves only through `adjustStock`). */
    async update(id: string, body: UpdateProductBody): Promise<Product> {
      const product = await sequelize.transaction(async (transaction) => {
        const changes: Partial<ProductFields> = body;
        if (!(await repository.update(id, changes, transaction))) throw notFound('Product');
        announceAfterCommit(transaction, id);
        return requireListed(id, transaction);
      });
      return answer(product);
    },

    /** A restock or write-off, recorded in the stock ledger; OUT_OF_STOCK if it would go below zero. */
    async adjustStock(id: string, body: AdjustStockBody): Promise<Product> {
      const product = await requireListed(id);
      const available = await inventory.adjustStock(id, body.delta, body.reason ?? null);
      return { ...product, stock: available };
    },

    /** Soft delete: the product leaves listings and detail; orders still read it. */
    async remove(id: string): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        if (!(await repository.softDelete(id, new Date(), transaction))) throw notFound('Product');
        announceAfterCommit(transaction, id);
      });
    },

    /** How many products are listed, straight from the database (the seed asks before loading). */
    countListed(): Promise<number> {
      return repository.countListed();
    },

    /** For orders: name, price and currency of each product (deleted ones marked), from the database, never a cache. */
    getProductsForOrder(ids: readonly string[]): Promise<ProductForOrder[]> {
      return repository.findForOrder(ids);
    },

    /**
     * For reviews: moves a product's rating in the caller's transaction; the cache follows after
     * that transaction commits.
     */
    async applyRatingChange(productId: string, change: RatingChange, transaction: Transaction): Promise<void> {
      if (!Number.isInteger(change.countDelta) || !Number.isInteger(change.totalDelta)) {
        throw new TypeError('rating deltas must be integers');
      }
      if (!(await repository.applyRatingChange(productId, change, transaction))) throw notFound('Product');
      announceAfterCommit(transaction, productId);
    },

    /** Cache hits, misses and database loads since start, per kind of answer. */
    cacheStats() {
      return cache.stats();
    },
  };
}
export type CatalogService = ReturnType<typeof createCatalogService>;
