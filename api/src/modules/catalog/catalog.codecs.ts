import type { ProductList } from '@vitrine/contracts';
import type { CacheCodec } from './catalog.cache.js';
import type { ProductData } from './catalog.repository.js';

/** A page as the database answers it, before stock is laid over. */
export interface LoadedPage {
  items: ProductData[];
  total: number;
}

/**
 * A cached page, ready to send: the answer's JSON bytes cut where each product's stock goes, so a
 * request only splices in current stock numbers. Parsing and re-serializing ~20 KB of JSON per hit
 * (and encoding it to UTF-8 again) cost more than everything else on the cached path together.
 */
export interface PageTemplate {
  ids: string[];
  /** `parts[i]` ends with `"stock":` of product i; the last part closes the answer. */
  parts: Buffer[];
}

/** A stock value that cannot occur, written where the real one goes. */
const STOCK_HOLE = '"stock":-1';
const STOCK_KEY = Buffer.from('"stock":');
const STOCK_HOLE_BYTES = Buffer.from(STOCK_HOLE);

/** A product's detail, cached as plain JSON (small, so parsing it costs nothing worth saving). */
export const productCodec: CacheCodec<ProductData | null, ProductData | null> = {
  encode: (product) => JSON.stringify(product),
  decode: (stored) => JSON.parse(stored.toString('utf8')) as ProductData | null,
};

/**
 * A page is stored as `id,id,…\n` and the answer's JSON with a stock hole per product. In JSON
 * text `"stock":-1` can only be a key and its value (a `"` inside a string is always escaped), so
 * the holes are found without parsing.
 */
export function pageCodec(page: number, limit: number): CacheCodec<LoadedPage, PageTemplate> {
  return {
    encode(loaded) {
      const answer: ProductList = {
        items: loaded.items.map((product) => ({ ...product, stock: -1 })),
        total: loaded.total,
        page,
        limit,
      };
      return `${loaded.items.map((product) => product.id).join(',')}\n${JSON.stringify(answer)}`;
    },
    decode(stored) {
      const newline = stored.indexOf(10);
      const header = stored.subarray(0, newline).toString('latin1');
      const ids = header === '' ? [] : header.split(',');
      const parts: Buffer[] = [];
      let from = newline + 1;
      for (
        let hole = stored.indexOf(STOCK_HOLE_BYTES, from);
        hole !== -1;
        hole = stored.indexOf(STOCK_HOLE_BYTES, from)
      ) {
        parts.push(stored.subarray(from, hole + STOCK_KEY.length));
        from = hole + STOCK_HOLE_BYTES.length;
      }
      parts.push(stored.subarray(from));
      if (parts.length !== ids.length + 1)
        throw new Error(`cached page has ${parts.length - 1} stock holes for ${ids.length} products`);
      return { ids, parts };
    },
  };
}

/** The page's JSON with each product's current stock in its hole. */
export function renderPage(template: PageTemplate, stock: ReadonlyMap<string, number>): Buffer {
  const chunks: Buffer[] = [];
  template.ids.forEach((id, index) => {
    chunks.push(template.parts[index]!, Buffer.from(String(stock.get(id) ?? 0), 'latin1'));
  });
  chunks.push(template.parts[template.ids.length]!);
  return Buffer.concat(chunks);
}
