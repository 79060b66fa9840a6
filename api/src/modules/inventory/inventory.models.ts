import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';

export interface StockLevelRow extends Model<InferAttributes<StockLevelRow>, InferCreationAttributes<StockLevelRow>> {
  productId: string;
  available: number;
  updatedAt: CreationOptional<Date>;
}

export type StockChangeReason = 'INITIAL' | 'ADJUSTMENT' | 'ORDER_RESERVED' | 'ORDER_RELEASED';

export interface StockLedgerRow extends Model<
  InferAttributes<StockLedgerRow>,
  InferCreationAttributes<StockLedgerRow>
> {
  id: CreationOptional<number>;
  productId: string;
  delta: number;
  reason: StockChangeReason;
  orderId: string | null;
  note: string | null;
  createdAt: CreationOptional<Date>;
}

export function defineInventoryModels(sequelize: Sequelize) {
  const StockLevel = sequelize.define<StockLevelRow>(
    'StockLevel',
    {
      productId: { type: DataTypes.CHAR(36), primaryKey: true },
      available: { type: DataTypes.INTEGER, allowNull: false },
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'stock_levels', underscored: true, createdAt: false },
  );
  const StockLedger = sequelize.define<StockLedgerRow>(
    'StockLedger',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      productId: { type: DataTypes.CHAR(36), allowNull: false },
      delta: { type: DataTypes.INTEGER, allowNull: false },
      reason: { type: DataTypes.STRING(32), allowNull: false },
      orderId: { type: DataTypes.CHAR(36), allowNull: true },
      note: { type: DataTypes.STRING(200), allowNull: true },
      createdAt: DataTypes.DATE(3),
    },
    { tableName: 'stock_ledger', underscored: true, updatedAt: false },
  );
  return { StockLevel, StockLedger };
}
export type InventoryModels = ReturnType<typeof defineInventoryModels>;
