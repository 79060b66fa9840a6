import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';

export interface AddressRow extends Model<InferAttributes<AddressRow>, InferCreationAttributes<AddressRow>> {
  id: string;
  userId: string;
  recipient: string;
  phone: string;
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
  /** TRUE for the default address, NULL otherwise (see the unique index in migration 0001). */
  defaultMarker: boolean | null;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export function defineAddressModels(sequelize: Sequelize) {
  const Address = sequelize.define<AddressRow>(
    'Address',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      userId: { type: DataTypes.CHAR(36), allowNull: false },
      recipient: { type: DataTypes.STRING(100), allowNull: false },
      phone: { type: DataTypes.STRING(32), allowNull: false },
      line1: { type: DataTypes.STRING(200), allowNull: false },
      line2: { type: DataTypes.STRING(200), allowNull: true },
      city: { type: DataTypes.STRING(100), allowNull: false },
      postalCode: { type: DataTypes.STRING(20), allowNull: false },
      country: { type: DataTypes.STRING(60), allowNull: false },
      defaultMarker: { type: DataTypes.BOOLEAN, allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'addresses', underscored: true },
  );
  return { Address };
}
export type AddressModels = ReturnType<typeof defineAddressModels>;
