import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';

export interface ProductRow extends Model<InferAttributes<ProductRow>, InferCreationAttributes<ProductRow>> {
  id: string;
  name: string;
  description: string;
  /** BIGINT: mysql2 may hand it back as a string, so it is read through Number(). */
  price: number | string;
  currency: string;
  imageUrl: string | null;
  /** DECIMAL(3,2): a string on MySQL/MariaDB, a number on SQLite. */
  ratingAverage: CreationOptional<number | string>;
  ratingCount: CreationOptional<number>;
  ratingTotal: CreationOptional<number>;
  deletedAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

/** The `products` table of migration 0002; stock lives in inventory's `stock_levels`. */
export function defineCatalogModels(sequelize: Sequelize) {
  const Product = sequelize.define<ProductRow>(
    'Product',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      description: { type: DataTypes.TEXT, allowNull: false },
      price: { type: DataTypes.BIGINT, allowNull: false },
      currency: { type: DataTypes.CHAR(3), allowNull: false },
      imageUrl: { type: DataTypes.STRING(2048), allowNull: true },
      ratingAverage: { type: DataTypes.DECIMAL(3, 2), allowNull: false, defaultValue: 0 },
      ratingCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      ratingTotal: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      // Soft delete is explicit in every query (not `paranoid`), so orders can still read deleted products.
      deletedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'products', underscored: true },
  );
  return { Product };
}
export type CatalogModels = ReturnType<typeof defineCatalogModels>;
