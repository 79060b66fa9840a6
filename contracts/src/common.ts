import { z } from './zod.js';

/**
 * Ids travel as strings (UUID v7 in this implementation). Any short string is accepted, so an
 * id that names nothing answers 404, not 400.
 */
export const Id = z.string().min(1).max(64).openapi({ example: '01890a5d-ac96-774b-bcce-b302099a8057' });
export type Id = z.infer<typeof Id>;

export const IdParams = z.object({ id: Id }).strict();
export type IdParams = z.infer<typeof IdParams>;

/** ISO 8601 timestamp in UTC, e.g. `2026-11-24T09:00:00.000Z`. */
export const IsoDateTime = z.string().datetime().openapi({ example: '2026-11-24T09:00:00.000Z' });
export type IsoDateTime = z.infer<typeof IsoDateTime>;

export const PageQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export type PageQuery = z.infer<typeof PageQuery>;
