import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';

export interface ReviewRow extends Model<InferAttributes<ReviewRow>, InferCreationAttributes<ReviewRow>> {
  id: string;
  productId: string;
  userId: string;
  rating: number;
  body: string;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

/** The `reviews` table of migration 0005. */
export function defineReviewModels(sequelize: Sequelize) {
  const Review = sequelize.define<ReviewRow>(
    'Review',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      productId: { type: DataTypes.CHAR(36), allowNull: false },
      userId: { type: DataTypes.CHAR(36), allowNull: false },
      rating: { type: DataTypes.INTEGER, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'reviews', underscored: true },
  );
  return { Review };
}
export type ReviewModels = ReturnType<typeof defineReviewModels>;
