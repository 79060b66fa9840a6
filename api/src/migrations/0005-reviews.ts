import { DataTypes, type QueryInterface } from 'sequelize';

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('reviews', {
    id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false },
    // No foreign key to products: products are only ever soft-deleted, and on InnoDB the key's
    // shared lock on the product row, taken by two concurrent reviews before each one's rating
    // update, would make those updates deadlock each other.
    product_id: { type: DataTypes.CHAR(36), allowNull: false },
    // No cascade: removing a user's reviews must go through the reviews module, which moves the rating.
    user_id: { type: DataTypes.CHAR(36), allowNull: false, references: { model: 'users', key: 'id' } },
    rating: { type: DataTypes.INTEGER, allowNull: false },
    // Up to 5000 characters, at most 20000 bytes in utf8mb4: well inside a TEXT column.
    body: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.sequelize.query(
    queryInterface.sequelize.getDialect() === 'sqlite'
      ? 'SELECT 1' // SQLite cannot add a CHECK to an existing table; the API validates the rating.
      : 'ALTER TABLE reviews ADD CONSTRAINT reviews_rating_range CHECK (rating BETWEEN 1 AND 5)',
  );
  // One review per user and product, enforced here so two concurrent posts cannot both win.
  await queryInterface.addIndex('reviews', ['user_id', 'product_id'], {
    name: 'reviews_one_per_user_and_product',
    unique: true,
  });
  // A product's reviews newest first, and by rating (newest first among equal ratings); each ends
  // in the id, the tie-breaker of both orders (SQLite's indexes do not carry the primary key).
  await queryInterface.addIndex('reviews', ['product_id', 'created_at', 'id'], { name: 'reviews_by_product_newest' });
  await queryInterface.addIndex('reviews', ['product_id', 'rating', 'created_at', 'id'], {
    name: 'reviews_by_product_rating',
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('reviews');
}
