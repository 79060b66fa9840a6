import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';
import type { CancelReason, OrderStatus } from '@vitrine/contracts';

export interface OrderRow extends Model<InferAttributes<OrderRow>, InferCreationAttributes<OrderRow>> {
  id: string;
  userId: string;
  status: OrderStatus;
  total: number;
  currency: string;
  /** JSON copy of the address at order time. */
  address: string;
  expiresAt: Date;
  paidAt: Date | null;
  cancelledAt: Date | null;
  cancelReason: CancelReason | null;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface OrderItemRow extends Model<InferAttributes<OrderItemRow>, InferCreationAttributes<OrderItemRow>> {
  id: CreationOptional<number>;
  orderId: string;
  productId: string;
  name: string;
  price: number;
  quantity: number;
}

export function defineOrderModels(sequelize: Sequelize) {
  const Order = sequelize.define<OrderRow>(
    'Order',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      userId: { type: DataTypes.CHAR(36), allowNull: false },
      status: { type: DataTypes.STRING(20), allowNull: false },
      total: { type: DataTypes.BIGINT, allowNull: false, get: numberGetter('total') },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      address: { type: DataTypes.TEXT, allowNull: false },
      expiresAt: { type: DataTypes.DATE(3), allowNull: false },
      paidAt: { type: DataTypes.DATE(3), allowNull: true },
      cancelledAt: { type: DataTypes.DATE(3), allowNull: true },
      cancelReason: { type: DataTypes.STRING(20), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'orders', underscored: true },
  );
  const OrderItem = sequelize.define<OrderItemRow>(
    'OrderItem',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      orderId: { type: DataTypes.CHAR(36), allowNull: false },
      productId: { type: DataTypes.CHAR(36), allowNull: false },
      name: { type: DataTypes.STRING(200), allowNull: false },
      price: { type: DataTypes.BIGINT, allowNull: false, get: numberGetter('price') },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
    },
    { tableName: 'order_items', underscored: true, timestamps: false },
  );
  return { Order, OrderItem };
}
export type OrderModels = ReturnType<typeof defineOrderModels>;

/** mysql2 returns BIGINT as a string; amounts here stay far below 2^53. */
function numberGetter(field: string) {
  return function (this: Model): number {
    return Number(this.getDataValue(field));
  };
}
