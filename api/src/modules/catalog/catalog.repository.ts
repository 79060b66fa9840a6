import type { Product, ProductSort } from '@vitrine/contracts';
import { Op, QueryTypes, type Order, type Transaction, type WhereOptions } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import { selectRows } from '../../platform/sql.js';
import type { CatalogModels, ProductRow } from './catalog.models.js';

/** A product as stored: everything of the contract's product but `stock`, which inventory owns. */
export type ProductData = Omit<Product, 'stock'>;

export interface ProductFields {
  name: string;
  description: string;
  price: number;
  currency: string;
  imageUrl: string | null;
}

/** What an order needs of a product, deleted ones included (they answer OUT_OF_STOCK-like refusals). */
export interface ProductForOrder {
  id: string;
  name: string;
  price: number;
  currency: string;
  deleted: boolean;
}

export interface ListCriteria {
  q: string | undefined;
  sort: ProductSort;
  offset: number;
  limit: number;
}

/**
 * Every order ends on the id, so equal prices, ratings or timestamps never swap places between
 * two pages; each direction matches its index (0002 indexes end in the primary key on InnoDB).
 */
const ORDER_BY: Record<ProductSort, Order> = {
  newest: [
    ['createdAt', 'DESC'],
    ['id', 'DESC'],
  ],
  price_asc: [
    ['price', 'ASC'],
    ['id', 'ASC'],
  ],
  price_desc: [
    ['price', 'DESC'],
    ['id', 'DESC'],
  ],
  rating: [
    ['ratingAverage', 'DESC'],
    ['ratingCount', 'DESC'],
    ['id', 'DESC'],
  ],
};

/** `!` escapes LIKE wildcards the same way on MariaDB and SQLite (SQLite has no default escape). */
const likePattern = (text: string) => `%${text.replace(/[!%_]/g, (char) => `!${char}`)}%`;

export const toProductData = (row: ProductRow): ProductData => ({
  id: row.id,
  name: row.name,
  description: row.description,
  price: Number(row.price),
  currency: row.currency,
  imageUrl: row.imageUrl ?? null,
  rating: { average: Number(row.ratingAverage), count: row.ratingCount },
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export function createCatalogRepository({ Product: ProductModel }: CatalogModels) {
  const sequelize = ProductModel.sequelize!;

  const listed = (q: string | undefined): WhereOptions<ProductRow> => {
    if (!q) return { deletedAt: null };
    const pattern = sequelize.escape(likePattern(q));
    return {
      deletedAt: null,
      [Op.and]: [sequelize.literal(`(name LIKE ${pattern} ESCAPE '!' OR description LIKE ${pattern} ESCAPE '!')`)],
    };
  };

  return {
    async insert(fields: ProductFields, transaction: Transaction): Promise<ProductData> {
      return toProductData(await ProductModel.create({ id: uuidv7(), ...fields }, { transaction }));
    },

    /** A listed product (not soft-deleted), or null. */
    async findListed(id: string, transaction?: Transaction): Promise<ProductData | null> {
      const row = await ProductModel.findOne({ where: { id, deletedAt: null }, transaction });
      return row ? toProductData(row) : null;
    },

    async list(criteria: ListCriteria): Promise<{ items: ProductData[]; total: number }> {
      const where = listed(criteria.q);
      const [rows, total] = await Promise.all([
        ProductModel.findAll({ where, order: ORDER_BY[criteria.sort], offset: criteria.offset, limit: criteria.limit }),
        ProductModel.count({ where }),
      ]);
      return { items: rows.map(toProductData), total };
    },

    countListed(): Promise<number> {
      return ProductModel.count({ where: { deletedAt: null } });
    },

    /** Changes a listed product; false when there is none (unknown or deleted). */
    async update(id: string, changes: Partial<ProductFields>, transaction: Transaction): Promise<boolean> {
      const [affected] = await ProductModel.update(changes, { where: { id, deletedAt: null }, transaction });
      return affected === 1;
    },

    async softDelete(id: string, now: Date, transaction: Transaction): Promise<boolean> {
      const [affected] = await ProductModel.update({ deletedAt: now }, { where: { id, deletedAt: null }, transaction });
      return affected === 1;
    },

    /** Names and prices for orders (the hot path: plain SQL), deleted products included and marked. */
    async findForOrder(ids: readonly string[]): Promise<ProductForOrder[]> {
      if (ids.length === 0) return [];
      const rows = await selectRows<{
        id: string;
        name: string;
        price: number | string;
        currency: string;
        deleted: unknown;
      }>(
        ProductModel.sequelize!,
        'SELECT id, name, price, currency, deleted_at IS NOT NULL AS deleted FROM products WHERE id IN (:ids)',
        { ids: [...new Set(ids)] },
      );
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        price: Number(row.price),
        currency: row.currency,
        deleted: Boolean(row.deleted),
      }));
    },

    /**
     * One UPDATE, so concurrent reviews never lose a change; `updated_at` stays, as a review is not
     * an edit of the product. The average is assigned first: MySQL
     * evaluates SET left to right with already-updated values, SQLite with the old ones, and this
     * order reads the old count and total on both.
     */
    async applyRatingChange(
      id: string,
      change: { countDelta: number; totalDelta: number },
      transaction: Transaction,
    ): Promise<boolean> {
      const [, affected] = await sequelize.query(
        `UPDATE products SET
           rating_average = CASE WHEN rating_count + :countDelta > 0
             THEN ROUND((rating_total + :totalDelta) * 1.0 / (rating_count + :countDelta), 2) ELSE 0 END,
           rating_count = rating_count + :countDelta,
           rating_total = rating_total + :totalDelta
         WHERE id = :id`,
        {
          replacements: { id, countDelta: change.countDelta, totalDelta: change.totalDelta },
          type: QueryTypes.UPDATE,
          transaction,
        },
      );
      return affected === 1;
    },
  };
}
export type CatalogRepository = ReturnType<typeof createCatalogRepository>;
