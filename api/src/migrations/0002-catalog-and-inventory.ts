import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false };

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('products', {
    id,
    name: { type: DataTypes.STRING(200), allowNull: false },
    description: { type: DataTypes.TEXT, allowNull: false },
    // Money in the currency's smallest unit (KRW has no minor unit: 12900 is ₩12,900).
    price: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.CHAR(3), allowNull: false, defaultValue: 'KRW' },
    image_url: { type: DataTypes.STRING(2048), allowNull: true },
    // Maintained by the reviews module in the same transaction as each review change.
    rating_average: { type: DataTypes.DECIMAL(3, 2), allowNull: false, defaultValue: 0 },
    rating_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    rating_total: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    // Soft delete: the product leaves listings, past orders keep it.
    deleted_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.addIndex('products', ['deleted_at', 'created_at'], { name: 'products_newest' });
  await queryInterface.addIndex('products', ['deleted_at', 'price'], { name: 'products_price' });
  await queryInterface.addIndex('products', ['deleted_at', 'rating_average', 'rating_count'], {
    name: 'products_rating',
  });
  await queryInterface.addIndex('products', ['name'], { name: 'products_name' });

  // Buyable stock per product: on hand minus what unpaid orders hold. The CHECK and the
  // conditional updates (`available >= qty`) make overselling impossible at the database.
  await queryInterface.createTable('stock_levels', {
    product_id: {
      type: DataTypes.CHAR(36),
      primaryKey: true,
      allowNull: false,
      references: { model: 'products', key: 'id' },
    },
    available: { type: DataTypes.INTEGER, allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.sequelize.query(
    queryInterface.sequelize.getDialect() === 'sqlite'
      ? 'SELECT 1' // SQLite cannot add a CHECK to an existing table; the conditional updates still guard it.
      : 'ALTER TABLE stock_levels ADD CONSTRAINT stock_levels_never_negative CHECK (available >= 0)',
  );

  // Every change of buyable stock, with its reason, so that for each product:
  // initial stock + adjustments = buyable + held by unpaid orders + sold.
  await queryInterface.createTable('stock_ledger', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    product_id: { type: DataTypes.CHAR(36), allowNull: false },
    delta: { type: DataTypes.INTEGER, allowNull: false },
    reason: { type: DataTypes.STRING(32), allowNull: false },
    order_id: { type: DataTypes.CHAR(36), allowNull: true },
    note: { type: DataTypes.STRING(200), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.addIndex('stock_ledger', ['product_id', 'id'], { name: 'stock_ledger_product' });
  await queryInterface.addIndex('stock_ledger', ['order_id'], { name: 'stock_ledger_order' });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('stock_ledger');
  await queryInterface.dropTable('stock_levels');
  await queryInterface.dropTable('products');
}
