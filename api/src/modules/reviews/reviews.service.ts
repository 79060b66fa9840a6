import type { CreateReviewBody, Review, ReviewList, ReviewListQuery, UpdateReviewBody } from '@vitrine/contracts';
import { UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { isRetryableTransactionError } from '../../platform/database.js';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { Identity } from '../../platform/http/identity.js';
import type { Logger } from '../../platform/logger.js';
import type { CatalogService } from '../catalog/index.js';
import type { OrdersService } from '../orders/index.js';
import type { ReviewRecord, ReviewsRepository } from './reviews.repository.js';

/**
 * Reviews: only from buyers, one per user and product. Every change of a review moves the
 * product's rating in the same transaction, so `rating.average` and `rating.count` never drift
 * from the reviews themselves, and the catalog's cache follows once that transaction commits.
 */
export function createReviewsService(deps: {
  sequelize: Sequelize;
  repository: ReviewsRepository;
  catalog: Pick<CatalogService, 'get' | 'applyRatingChange'>;
  orders: Pick<OrdersService, 'hasPaidOrderWith'>;
  logger: Logger;
}) {
  const { sequelize, repository, catalog, orders, logger } = deps;

  /** A transaction that lost a deadlock or found the database busy runs once more. */
  async function inTransaction<T>(work: (transaction: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sequelize.transaction(work);
      } catch (error) {
        if (!isRetryableTransactionError(error) || attempt >= 2) throw error;
      }
    }
  }

  /** The review, locked, if the caller wrote it or is an admin; someone else's review answers 404 like a missing one. */
  async function requireChangeable(identity: Identity, id: string, transaction: Transaction): Promise<ReviewRecord> {
    const review = await repository.findForChange(id, transaction);
    if (!review || (review.userId !== identity.userId && identity.role !== 'admin')) throw notFound('Review');
    return review;
  }

  return {
    /** A page of a listed product's reviews with the product's rating; NOT_FOUND for unknown and deleted products. */
    async list(productId: string, query: ReviewListQuery): Promise<ReviewList> {
      const product = await catalog.get(productId);
      const { items, total } = await repository.page(productId, {
        sort: query.sort,
        offset: (query.page - 1) * query.limit,
        limit: query.limit,
      });
      return {
        items,
        total,
        average: product.rating.average,
        count: product.rating.count,
        page: query.page,
        limit: query.limit,
      };
    },

    /** Reviews a listed product the user has bought (a PAID order); ALREADY_REVIEWED the second time. */
    async create(identity: Identity, productId: string, body: CreateReviewBody): Promise<Review> {
      await catalog.get(productId);
      if (!(await orders.hasPaidOrderWith(identity.userId, productId))) {
        throw forbidden('Only a customer with a paid order of this product may review it');
      }
      try {
        return await inTransaction(async (transaction) => {
          // The insert comes first: a duplicate fails on the unique key before the product row is touched.
          const review = await repository.insert(
            { productId, userId: identity.userId, rating: body.rating, body: body.body },
            transaction,
          );
          await catalog.applyRatingChange(productId, { countDelta: 1, totalDelta: body.rating }, transaction);
          return repository.withAuthor(review, transaction);
        });
      } catch (error) {
        if (error instanceof UniqueConstraintError) {
          throw new AppError('ALREADY_REVIEWED', 'You have already reviewed this product; edit that review instead');
        }
        throw error;
      }
    },

    /** Changes the rating and/or body of a review, for its author or an admin. */
    update(identity: Identity, id: string, body: UpdateReviewBody): Promise<Review> {
      return inTransaction(async (transaction) => {
        const current = await requireChangeable(identity, id, transaction);
        const updated = await repository.update(id, body, transaction);
        const totalDelta = updated.rating - current.rating;
        if (totalDelta !== 0) {
          await catalog.applyRatingChange(current.productId, { countDelta: 0, totalDelta }, transaction);
        }
        return repository.withAuthor(updated, transaction);
      });
    },

    /** Removes a review, for its author or an admin (moderation). */
    async remove(identity: Identity, id: string): Promise<void> {
      const removed = await inTransaction(async (transaction) => {
        const review = await requireChangeable(identity, id, transaction);
        await repository.remove(id, transaction);
        await catalog.applyRatingChange(review.productId, { countDelta: -1, totalDelta: -review.rating }, transaction);
        return review;
      });
      if (removed.userId !== identity.userId) {
        logger.info('review removed by an administrator', {
          event: { action: 'review-moderated' },
          review: { id: removed.id, productId: removed.productId, authorId: removed.userId },
          user: { id: identity.userId },
        });
      }
    },
  };
}
export type ReviewsService = ReturnType<typeof createReviewsService>;
