import type { CancelReason, OrderAddress, OrderLine, OrderStatus } from '@vitrine/contracts';
import { Op, QueryTypes, type Transaction } from 'sequelize';
import { execute, sqlTime, valuesOf } from '../../platform/sql.js';
import type { OrderModels, OrderRow } from './orders.models.js';

export interface OrderRecord {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderLine[];
  total: number;
  currency: string;
  address: OrderAddress;
  expiresAt: Date;
  createdAt: Date;
  paidAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: CancelReason | null;
}

export type NewOrder = Omit<OrderRecord, 'paidAt' | 'cancelledAt' | 'cancelReason' | 'createdAt' | 'status'>;

export function createOrdersRepository({ Order, OrderItem }: OrderModels) {
  const toRecord = (row: OrderRow, items: OrderLine[]): OrderRecord => ({
    id: row.id,
    userId: row.userId,
    status: row.status,
    items,
    total: row.total,
    currency: row.currency,
    address: JSON.parse(row.address) as OrderAddress,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    paidAt: row.paidAt ?? null,
    cancelledAt: row.cancelledAt ?? null,
    cancelReason: row.cancelReason ?? null,
  });

  /** Orders with their lines, in two queries whatever the count (no N+1). */
  async function withItems(rows: OrderRow[], transaction?: Transaction): Promise<OrderRecord[]> {
    if (rows.length === 0) return [];
    const items = await OrderItem.findAll({
      where: { orderId: rows.map((row) => row.id) },
      order: [['id', 'ASC']],
      transaction,
    });
    const byOrder = new Map<string, OrderLine[]>();
    for (const item of items) {
      const lines = byOrder.get(item.orderId) ?? [];
      lines.push({ productId: item.productId, name: item.name, price: item.price, quantity: item.quantity });
      byOrder.set(item.orderId, lines);
    }
    return rows.map((row) => toRecord(row, byOrder.get(row.id) ?? []));
  }

  return {
    /** Placed orders and their lines: two INSERTs however many orders (plain SQL: the hot path). */
    async insertMany(orders: readonly NewOrder[], transaction: Transaction): Promise<OrderRecord[]> {
      const sequelize = Order.sequelize!;
      const createdAt = new Date();
      const now = sqlTime(sequelize, createdAt);
      const rows = valuesOf(
        orders.map((order) => ({
          id: order.id,
          userId: order.userId,
          status: 'PENDING_PAYMENT',
          total: order.total,
          currency: order.currency,
          address: JSON.stringify(order.address),
          expiresAt: sqlTime(sequelize, order.expiresAt),
          createdAt: now,
          updatedAt: now,
        })),
        ['id', 'userId', 'status', 'total', 'currency', 'address', 'expiresAt', 'createdAt', 'updatedAt'],
      );
      await execute(
        sequelize,
        `INSERT INTO orders (id, user_id, status, total, currency, address, expires_at, created_at, updated_at)
         VALUES ${rows.tuples}`,
        rows.replacements,
        transaction,
      );
      const lines = valuesOf(
        orders.flatMap((order) => order.items.map((item) => ({ orderId: order.id, ...item }))),
        ['orderId', 'productId', 'name', 'price', 'quantity'],
      );
      await execute(
        sequelize,
        `INSERT INTO order_items (order_id, product_id, name, price, quantity) VALUES ${lines.tuples}`,
        lines.replacements,
        transaction,
      );
      return orders.map((order) => ({
        ...order,
        status: 'PENDING_PAYMENT',
        createdAt,
        paidAt: null,
        cancelledAt: null,
        cancelReason: null,
      }));
    },

    async findById(id: string, transaction?: Transaction): Promise<OrderRecord | null> {
      const row = await Order.findByPk(id, { transaction });
      return row ? ((await withItems([row], transaction))[0] ?? null) : null;
    },

    async listForUser(userId: string, limit: number): Promise<OrderRecord[]> {
      const rows = await Order.findAll({
        where: { userId },
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit,
      });
      return withItems(rows);
    },

    async listAll(filter: { status?: OrderStatus; offset: number; limit: number }) {
      const where = filter.status ? { status: filter.status } : {};
      const { rows, count } = await Order.findAndCountAll({
        where,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        offset: filter.offset,
        limit: filter.limit,
      });
      return { items: await withItems(rows), total: count };
    },

    /**
     * Moves a pending order to PAID or CANCELLED only if it is still pending (and, for a payment,
     * still inside its window). Exactly one of two racing transitions sees `true`.
     */
    async transitionFromPending(
      id: string,
      change: { status: 'PAID'; paidAt: Date } | { status: 'CANCELLED'; cancelledAt: Date; cancelReason: CancelReason },
      transaction: Transaction,
      /** For expiry: only if the deadline has passed by then. */
      dueBy?: Date,
    ): Promise<boolean> {
      const where =
        change.status === 'PAID'
          ? { id, status: 'PENDING_PAYMENT', expiresAt: { [Op.gt]: change.paidAt } }
          : dueBy
            ? { id, status: 'PENDING_PAYMENT', expiresAt: { [Op.lte]: dueBy } }
            : { id, status: 'PENDING_PAYMENT' };
      const [affected] = await Order.update(change, { where, transaction });
      return affected === 1;
    },

    /**
     * The orders among `ids` that are still pending (and due by `dueBy`, for expiry), with their
     * lines, row-locked on MySQL until the transaction ends so no payment can slip in between.
     */
    async claimPending(
      ids: readonly string[],
      dueBy: Date | undefined,
      transaction: Transaction,
    ): Promise<OrderRecord[]> {
      const rows = await Order.findAll({
        where: {
          id: [...ids],
          status: 'PENDING_PAYMENT',
          ...(dueBy ? { expiresAt: { [Op.lte]: dueBy } } : {}),
        },
        order: [['id', 'ASC']],
        lock: true,
        transaction,
      });
      return withItems(rows, transaction);
    },

    async markCancelled(
      ids: readonly string[],
      reason: CancelReason,
      at: Date,
      transaction: Transaction,
    ): Promise<void> {
      await Order.update(
        { status: 'CANCELLED', cancelledAt: at, cancelReason: reason },
        { where: { id: [...ids], status: 'PENDING_PAYMENT' }, transaction },
      );
    },

    /**
     * Up to `limit` pending orders past their deadline, oldest first, with their lines, row-locked
     * on MySQL/MariaDB; rows another transaction holds are skipped, so expiries running side by
     * side (two processes, or a job and the sweeper) take different orders instead of queueing.
     */
    async claimDue(
      dueBy: Date,
      limit: number,
      excluding: readonly string[],
      transaction: Transaction,
    ): Promise<OrderRecord[]> {
      const rows = await Order.findAll({
        where: {
          status: 'PENDING_PAYMENT',
          expiresAt: { [Op.lte]: dueBy },
          ...(excluding.length > 0 ? { id: { [Op.notIn]: [...excluding] } } : {}),
        },
        order: [['expiresAt', 'ASC']],
        limit,
        lock: true,
        skipLocked: true,
        transaction,
      });
      return withItems(rows, transaction);
    },

    /** Pending orders past their deadline, oldest first, without locking (to expire them one by one). */
    async findDueIds(now: Date, limit: number): Promise<string[]> {
      const rows = await Order.findAll({
        attributes: ['id'],
        where: { status: 'PENDING_PAYMENT', expiresAt: { [Op.lte]: now } },
        order: [['expiresAt', 'ASC']],
        limit,
      });
      return rows.map((row) => row.id);
    },

    async findPending(limit: number, afterId?: string): Promise<{ id: string; expiresAt: Date }[]> {
      const rows = await Order.findAll({
        attributes: ['id', 'expiresAt'],
        where: afterId ? { status: 'PENDING_PAYMENT', id: { [Op.gt]: afterId } } : { status: 'PENDING_PAYMENT' },
        order: [['id', 'ASC']],
        limit,
      });
      return rows.map((row) => ({ id: row.id, expiresAt: row.expiresAt }));
    },

    /** Whether the user has a PAID order containing the product (reviews need this). */
    async hasPaidOrderWith(userId: string, productId: string): Promise<boolean> {
      const rows = await Order.sequelize!.query(
        `SELECT 1 AS found FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE o.user_id = :userId AND o.status = 'PAID' AND i.product_id = :productId LIMIT 1`,
        { replacements: { userId, productId }, type: QueryTypes.SELECT },
      );
      return rows.length > 0;
    },
  };
}
export type OrdersRepository = ReturnType<typeof createOrdersRepository>;
