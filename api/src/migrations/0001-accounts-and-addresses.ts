import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false };
const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
};

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('users', {
    id,
    email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    name: { type: DataTypes.STRING(100), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'customer' },
    ...timestamps,
  });

  await queryInterface.createTable('refresh_tokens', {
    id,
    user_id: {
      type: DataTypes.CHAR(36),
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
    },
    // Every token of one login shares a family, so reuse of a spent token can revoke them all (RFC 9700 §4.14).
    family_id: { type: DataTypes.CHAR(36), allowNull: false },
    token_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
    expires_at: { type: DataTypes.DATE(3), allowNull: false },
    used_at: { type: DataTypes.DATE(3), allowNull: true },
    revoked_at: { type: DataTypes.DATE(3), allowNull: true },
    ...timestamps,
  });
  await queryInterface.addIndex('refresh_tokens', ['family_id'], { name: 'refresh_tokens_family' });
  await queryInterface.addIndex('refresh_tokens', ['user_id'], { name: 'refresh_tokens_user' });

  await queryInterface.createTable('addresses', {
    id,
    user_id: {
      type: DataTypes.CHAR(36),
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
    },
    recipient: { type: DataTypes.STRING(100), allowNull: false },
    phone: { type: DataTypes.STRING(32), allowNull: false },
    line1: { type: DataTypes.STRING(200), allowNull: false },
    line2: { type: DataTypes.STRING(200), allowNull: true },
    city: { type: DataTypes.STRING(100), allowNull: false },
    postal_code: { type: DataTypes.STRING(20), allowNull: false },
    country: { type: DataTypes.STRING(60), allowNull: false },
    // TRUE or NULL, never FALSE: the unique index below then admits at most one default per user.
    default_marker: { type: DataTypes.BOOLEAN, allowNull: true },
    ...timestamps,
  });
  await queryInterface.addIndex('addresses', ['user_id', 'default_marker'], {
    name: 'addresses_one_default_per_user',
    unique: true,
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('addresses');
  await queryInterface.dropTable('refresh_tokens');
  await queryInterface.dropTable('users');
}
