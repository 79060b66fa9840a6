import { Id, IsoDateTime } from './common.js';
import { z } from './zod.js';

/** ₩10,000,000,000 (or $100,000,000.00 in cents): far above any real product, far below 2^53. */
export const MAX_PRICE = 10_000_000_000;
/** Stock is an INTEGER column; this bound also keeps adjustments clear of overflow. */
export const MAX_STOCK = 10_000_000;
/** The `image_url` column is 2048 characters, so a generated SVG data URI has to fit in it. */
export const MAX_IMAGE_URL_LENGTH = 2048;

export const ProductSort = z.enum(['newest', 'price_asc', 'price_desc', 'rating']);
export type ProductSort = z.infer<typeof ProductSort>;

export const Money = z.number().int().min(0).max(MAX_PRICE).openapi({ example: 12900 });
export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code of 3 uppercase letters')
  .openapi({ example: 'KRW' });

/**
 * http(s) images, or inline `data:image/…` ones (the demo catalog generates SVGs, so it works
 * offline). Other schemes (`javascript:`, `data:text/html`) never reach a storefront page.
 */
export const ImageUrl = z
  .string()
  .trim()
  .max(MAX_IMAGE_URL_LENGTH)
  .pipe(z.url({ protocol: /^(https?|data)$/ }))
  .refine((url) => !url.startsWith('data:') || url.startsWith('data:image/'), {
    message: 'a data URI must hold an image',
  })
  .openapi({ example: 'https://images.example.com/products/mug.png' });

const ProductFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(5000),
  price: Money,
  currency: Currency.default('KRW'),
  stock: z.number().int().min(0).max(MAX_STOCK),
  imageUrl: ImageUrl.nullable().optional(),
};

export const CreateProductBody = z.object(ProductFields).strict().openapi('CreateProductBody');
export type CreateProductBody = z.infer<typeof CreateProductBody>;

/** Stock is not among these: it moves only through `POST /products/:id/stock`, which records why. */
const { stock: _stock, currency: _currency, ...EditableFields } = ProductFields;

export const UpdateProductBody = z
  .object({ ...EditableFields, currency: Currency })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one field is required' })
  .openapi('UpdateProductBody');
export type UpdateProductBody = z.infer<typeof UpdateProductBody>;

export const AdjustStockBody = z
  .object({
    delta: z
      .number()
      .int()
      .min(-MAX_STOCK)
      .max(MAX_STOCK)
      .refine((delta) => delta !== 0, { message: 'must not be 0' })
      .openapi({ description: 'Positive to restock, negative to write off', example: 25 }),
    reason: z.string().trim().max(200).optional().openapi({ description: 'Kept in the stock ledger' }),
  })
  .strict()
  .openapi('AdjustStockBody');
export type AdjustStockBody = z.infer<typeof AdjustStockBody>;

export const ProductListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    q: z.string().trim().max(100).optional().openapi({ description: 'Matches name or description (substring)' }),
    sort: ProductSort.default('newest'),
  })
  .strict();
export type ProductListQuery = z.infer<typeof ProductListQuery>;

export const ProductRating = z.object({
  average: z.number().min(0).max(5).openapi({ example: 4.5 }),
  count: z.number().int().min(0),
});
export type ProductRating = z.infer<typeof ProductRating>;

export const Product = z
  .object({
    id: Id,
    name: z.string(),
    description: z.string(),
    price: Money,
    currency: Currency,
    /** What can still be bought now: on hand minus what unpaid orders hold. */
    stock: z.number().int().min(0),
    imageUrl: z.string().nullable(),
    rating: ProductRating,
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Product');
export type Product = z.infer<typeof Product>;

export const ProductList = z
  .object({
    items: z.array(Product),
    total: z.number().int().min(0),
    page: z.number().int().min(1),
    limit: z.number().int().min(1),
  })
  .openapi('ProductList');
export type ProductList = z.infer<typeof ProductList>;
