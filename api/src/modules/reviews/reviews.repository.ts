import type { Review, ReviewSort } from '@vitrine/contracts';
import { QueryTypes, type Order, type Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import type { ReviewModels, ReviewRow } from './reviews.models.js';

/** A review as stored, before its author's name is looked up. */
export interface ReviewRecord {
  id: string;
  productId: string;
  userId: string;
  rating: number;
  body: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReviewPageCriteria {
  sort: ReviewSort;
  offset: number;
  limit: number;
}

/** Every order ends on the id, so reviews written in the same millisecond never swap places between pages. */
const ORDER_BY: Record<ReviewSort, Order> = {
  newest: [
    ['createdAt', 'DESC'],
    ['id', 'DESC'],
  ],
  rating_desc: [
    ['rating', 'DESC'],
    ['createdAt', 'DESC'],
    ['id', 'DESC'],
  ],
  rating_asc: [
    ['rating', 'ASC'],
    ['createdAt', 'DESC'],
    ['id', 'DESC'],
  ],
};

const toRecord = (row: ReviewRow): ReviewRecord => ({
  id: row.id,
  productId: row.productId,
  userId: row.userId,
  rating: row.rating,
  body: row.body,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export function createReviewsRepository({ Review: ReviewModel }: ReviewModels) {
  const sequelize = ReviewModel.sequelize!;

  /**
   * Display names of the given users. The accounts module is not among this module's
   * dependencies (api-server.ts wires reviews with catalog and orders only), so this is one
   * read-only query of `users.name` rather than a reach into accounts' models; it selects the
   * name alone, so an email can never travel into a review.
   */
  async function namesOf(userIds: readonly string[], transaction?: Transaction): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await sequelize.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE id IN (:ids)', {
      replacements: { ids: [...new Set(userIds)] },
      type: QueryTypes.SELECT,
      transaction,
    });
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /** The contract's review: the stored record with its author's display name. */
  async function withAuthors(records: readonly ReviewRecord[], transaction?: Transaction): Promise<Review[]> {
    const names = await namesOf(
      records.map((record) => record.userId),
      transaction,
    );
    return records.map((record) => ({
      id: record.id,
      productId: record.productId,
      rating: record.rating,
      body: record.body,
      author: { id: record.userId, name: names.get(record.userId) ?? '' },
      verifiedPurchase: true,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    }));
  }

  return {
    withAuthors,

    async withAuthor(record: ReviewRecord, transaction?: Transaction): Promise<Review> {
      const [review] = await withAuthors([record], transaction);
      return review!;
    },

    /** One page of a product's reviews, and how many it has in all. */
    async page(productId: string, criteria: ReviewPageCriteria): Promise<{ items: Review[]; total: number }> {
      const [rows, total] = await Promise.all([
        ReviewModel.findAll({
          where: { productId },
          order: ORDER_BY[criteria.sort],
          offset: criteria.offset,
          limit: criteria.limit,
        }),
        ReviewModel.count({ where: { productId } }),
      ]);
      return { items: await withAuthors(rows.map(toRecord)), total };
    },

    /** Inserts a review; the unique (user_id, product_id) key refuses a second one with UniqueConstraintError. */
    async insert(
      fields: Pick<ReviewRecord, 'productId' | 'userId' | 'rating' | 'body'>,
      transaction: Transaction,
    ): Promise<ReviewRecord> {
      return toRecord(await ReviewModel.create({ id: uuidv7(), ...fields }, { transaction }));
    },

    /**
     * A review, its row locked until the transaction ends (MySQL/MariaDB; SQLite's transactions
     * take the write lock at BEGIN already), so two edits cannot both compute a rating change
     * from the same old rating.
     */
    async findForChange(id: string, transaction: Transaction): Promise<ReviewRecord | null> {
      const row = await ReviewModel.findOne({ where: { id }, lock: transaction.LOCK.UPDATE, transaction });
      return row ? toRecord(row) : null;
    },

    async update(
      id: string,
      changes: Partial<Pick<ReviewRecord, 'rating' | 'body'>>,
      transaction: Transaction,
    ): Promise<ReviewRecord> {
      await ReviewModel.update(changes, { where: { id }, transaction });
      const row = await ReviewModel.findOne({ where: { id }, transaction });
      return toRecord(row!);
    },

    async remove(id: string, transaction: Transaction): Promise<void> {
      await ReviewModel.destroy({ where: { id }, transaction });
    },
  };
}
export type ReviewsRepository = ReturnType<typeof createReviewsRepository>;
