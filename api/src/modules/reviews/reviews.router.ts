import { CreateReviewBody, IdParams, Review, ReviewList, ReviewListQuery, UpdateReviewBody } from '@vitrine/contracts';
import { defineRoute, type Route } from '../../platform/http/route.js';
import type { ReviewsService } from './reviews.service.js';

export function reviewsRoutes(reviews: ReviewsService): Route[] {
  const productNotFound = { description: 'NOT_FOUND: no such product, or it was deleted' };
  const reviewNotFound = { description: 'NOT_FOUND: no such review, or it is not yours to change' };
  return [
    defineRoute({
      method: 'get',
      path: '/products/:id/reviews',
      summary: "A product's reviews, a page at a time (newest first unless sorted by rating), with its rating",
      tag: 'reviews',
      access: 'public',
      request: { params: IdParams, query: ReviewListQuery },
      responses: { 200: { description: 'A page of reviews', schema: ReviewList }, 404: productNotFound },
      async handle({ params, query }) {
        return { status: 200, body: await reviews.list(params.id, query) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/products/:id/reviews',
      summary: 'Review a product you bought (one review per product)',
      tag: 'reviews',
      access: 'user',
      request: { params: IdParams, body: CreateReviewBody },
      responses: {
        201: { description: 'The new review', schema: Review },
        403: { description: 'FORBIDDEN: you have no paid order of this product' },
        404: productNotFound,
        409: { description: 'ALREADY_REVIEWED: you reviewed this product before; edit that review' },
      },
      async handle({ identity, params, body }) {
        return { status: 201, body: await reviews.create(identity, params.id, body) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/reviews/:id',
      summary: 'Change the rating or text of a review (its author, or an administrator)',
      tag: 'reviews',
      access: 'user',
      request: { params: IdParams, body: UpdateReviewBody },
      responses: { 200: { description: 'The review', schema: Review }, 404: reviewNotFound },
      async handle({ identity, params, body }) {
        return { status: 200, body: await reviews.update(identity, params.id, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/reviews/:id',
      summary: 'Remove a review (its author, or an administrator as moderation)',
      tag: 'reviews',
      access: 'user',
      request: { params: IdParams },
      responses: { 204: { description: 'Removed' }, 404: reviewNotFound },
      async handle({ identity, params }) {
        await reviews.remove(identity, params.id);
        return { status: 204 };
      },
    }),
  ];
}
