import { Id, IsoDateTime } from './common.js';
import { z } from './zod.js';

/** A review's body is at most this many characters (Unicode code points, so an emoji counts once). */
export const MAX_REVIEW_BODY_CHARACTERS = 5000;

export const ReviewRating = z.number().int().min(1).max(5).openapi({ description: 'Whole stars, 1 to 5', example: 4 });
export type ReviewRating = z.infer<typeof ReviewRating>;

/**
 * Stored and answered exactly as written: never trimmed, never turned into HTML (escaping is the
 * renderer's job). It must hold something other than white space, and no lone UTF-16 surrogate,
 * which no database column could store byte for byte.
 */
export const ReviewText = z
  .string()
  // A cheap bound before counting: 5000 code points never take more than 10000 UTF-16 units.
  .max(MAX_REVIEW_BODY_CHARACTERS * 2, `must be at most ${MAX_REVIEW_BODY_CHARACTERS} characters`)
  .refine((text) => /\S/u.test(text), { message: 'must not be empty or only white space' })
  .refine((text) => [...text].length <= MAX_REVIEW_BODY_CHARACTERS, {
    message: `must be at most ${MAX_REVIEW_BODY_CHARACTERS} characters`,
  })
  .refine((text) => !/\p{Cs}/u.test(text), { message: 'must be valid Unicode text' })
  // JSON Schema counts a string's length in code points too, so the document states the real bounds.
  .openapi({
    minLength: 1,
    maxLength: MAX_REVIEW_BODY_CHARACTERS,
    description: `1 to ${MAX_REVIEW_BODY_CHARACTERS} characters, kept exactly as written`,
    example: 'Sturdy and pretty.',
  });
export type ReviewText = z.infer<typeof ReviewText>;

export const CreateReviewBody = z
  .object({ rating: ReviewRating, body: ReviewText })
  .strict()
  .openapi('CreateReviewBody');
export type CreateReviewBody = z.infer<typeof CreateReviewBody>;

export const UpdateReviewBody = z
  .object({ rating: ReviewRating, body: ReviewText })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one field is required' })
  .openapi('UpdateReviewBody');
export type UpdateReviewBody = z.infer<typeof UpdateReviewBody>;

export const ReviewSort = z.enum(['newest', 'rating_desc', 'rating_asc']);
export type ReviewSort = z.infer<typeof ReviewSort>;

export const ReviewListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    sort: ReviewSort.default('newest').openapi({
      description: 'newest first, or by rating (newest first among equal ratings)',
    }),
  })
  .strict();
export type ReviewListQuery = z.infer<typeof ReviewListQuery>;

/** Who wrote a review: their display name, never their email. */
export const ReviewAuthor = z.object({ id: Id, name: z.string() }).openapi('ReviewAuthor');
export type ReviewAuthor = z.infer<typeof ReviewAuthor>;

export const Review = z
  .object({
    id: Id,
    productId: Id,
    rating: ReviewRating,
    body: z.string(),
    author: ReviewAuthor,
    /** Only buyers with a paid order of the product may review it, so every review is one. */
    verifiedPurchase: z.literal(true),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Review');
export type Review = z.infer<typeof Review>;

export const ReviewList = z
  .object({
    items: z.array(Review),
    /** How many reviews the product has (every page). */
    total: z.number().int().min(0),
    /** The product's rating, as `rating.average` and `rating.count` show it in the catalog. */
    average: z.number().min(0).max(5).openapi({ example: 4.5 }),
    count: z.number().int().min(0),
    page: z.number().int().min(1),
    limit: z.number().int().min(1),
  })
  .openapi('ReviewList');
export type ReviewList = z.infer<typeof ReviewList>;
