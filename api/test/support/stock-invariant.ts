import assert from 'node:assert/strict';
import { QueryTypes, type Sequelize } from 'sequelize';

interface StockBook {
  initial: number;
  buyable: number;
  held: number;
  sold: number;
}

/** For one product, straight from the database: what came in, and where it is now. */
export async function stockBook(sequelize: Sequelize, productId: string): Promise<StockBook> {
  const [row] = await sequelize.query<{
    initial: number | string;
    buyable: number | string;
    held: number | string;
    sold: number | string;
  }>(
    `SELECT
       (SELECT COALESCE(SUM(delta), 0) FROM stock_ledger WHERE product_id = :productId AND reason IN ('INITIAL', 'ADJUSTMENT')) AS initial,
       (SELECT available FROM stock_levels WHERE product_id = :productId) AS buyable,
       (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE i.product_id = :productId AND o.status = 'PENDING_PAYMENT') AS held,
       (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE i.product_id = :productId AND o.status = 'PAID') AS sold`,
    { replacements: { productId }, type: QueryTypes.SELECT },
  );
  assert.ok(row, 'product has no stock row');
  return { initial: Number(row.initial), buyable: Number(row.buyable), held: Number(row.held), sold: Number(row.sold) };
}

/** initial stock (+ adjustments) = buyable + held by unpaid orders + sold; buyable never below zero. */
export async function assertStockConserved(sequelize: Sequelize, productId: string): Promise<StockBook> {
  const book = await stockBook(sequelize, productId);
  assert.ok(book.buyable >= 0, `buyable stock went negative: ${JSON.stringify(book)}`);
  assert.equal(book.buyable + book.held + book.sold, book.initial, `stock not conserved: ${JSON.stringify(book)}`);
  return book;
}
