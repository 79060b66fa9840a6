import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false };
const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
};

export async function up(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.createTable('orders', {
    id,
    user_id: { type: DataTypes.CHAR(36), allowNull: false },
    status: { type: DataTypes.STRING(20), allowNull: false },
    total: { type: DataTypes.BIGINT, allowNull: false },
    currency: { type: DataTypes.CHAR(3), allowNull: false },
    // A copy of the address at order time, so later edits of the address book don't rewrite history.
    address: { type: DataTypes.TEXT, allowNull: false },
    expires_at: { type: DataTypes.DATE(3), allowNull: false },
    paid_at: { type: DataTypes.DATE(3), allowNull: true },
    cancelled_at: { type: DataTypes.DATE(3), allowNull: true },
    cancel_reason: { type: DataTypes.STRING(20), allowNull: true },
    ...timestamps,
  });
  await queryInterface.addIndex('orders', ['user_id', 'created_at'], { name: 'orders_by_user' });
  // The expiry sweeper's query: pending orders by deadline.
  await queryInterface.addIndex('orders', ['status', 'expires_at'], { name: 'orders_due' });
  await queryInterface.addIndex('orders', ['status', 'created_at'], { name: 'orders_by_status' });

  await queryInterface.createTable('order_items', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    order_id: { type: DataTypes.CHAR(36), allowNull: false, references: { model: 'orders', key: 'id' } },
    product_id: { type: DataTypes.CHAR(36), allowNull: false },
    name: { type: DataTypes.STRING(200), allowNull: false },
    price: { type: DataTypes.BIGINT, allowNull: false },
    quantity: { type: DataTypes.INTEGER, allowNull: false },
  });
  await queryInterface.addIndex('order_items', ['order_id'], { name: 'order_items_order' });
  await queryInterface.addIndex('order_items', ['product_id'], { name: 'order_items_product' });

  await queryInterface.createTable('payments', {
    id,
    order_id: { type: DataTypes.CHAR(36), allowNull: false },
    provider: { type: DataTypes.STRING(40), allowNull: false },
    // SUCCEEDED, DECLINED, FAILED, REFUND_REQUIRED, REFUNDED
    status: { type: DataTypes.STRING(20), allowNull: false },
    amount: { type: DataTypes.BIGINT, allowNull: false },
    provider_reference: { type: DataTypes.STRING(100), allowNull: true },
    source: { type: DataTypes.STRING(20), allowNull: false },
    ...timestamps,
  });
  await queryInterface.addIndex('payments', ['order_id'], { name: 'payments_order' });

  // One row per webhook event ever accepted: a replayed event id hits the primary key and changes nothing.
  await queryInterface.createTable('payment_webhook_events', {
    provider: { type: DataTypes.STRING(40), primaryKey: true, allowNull: false },
    event_id: { type: DataTypes.STRING(100), primaryKey: true, allowNull: false },
    order_id: { type: DataTypes.CHAR(36), allowNull: false },
    outcome: { type: DataTypes.STRING(20), allowNull: false },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });

  await queryInterface.createTable('idempotency_keys', {
    user_id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false },
    scope: { type: DataTypes.STRING(80), primaryKey: true, allowNull: false },
    idempotency_key: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
    request_hash: { type: DataTypes.CHAR(64), allowNull: false },
    // IN_PROGRESS while the first request runs, then DONE with its answer.
    state: { type: DataTypes.STRING(12), allowNull: false },
    response_status: { type: DataTypes.INTEGER, allowNull: true },
    response_body: { type: DataTypes.TEXT('medium'), allowNull: true },
    ...timestamps,
  });

  // Transactional outbox: domain events written in the transaction that caused them, published after commit.
  await queryInterface.createTable('outbox_events', {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    name: { type: DataTypes.STRING(60), allowNull: false },
    payload: { type: DataTypes.TEXT, allowNull: false },
    trace_id: { type: DataTypes.STRING(64), allowNull: true },
    published_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.addIndex('outbox_events', ['published_at', 'id'], { name: 'outbox_unpublished' });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  for (const table of [
    'outbox_events',
    'idempotency_keys',
    'payment_webhook_events',
    'payments',
    'order_items',
    'orders',
  ]) {
    await queryInterface.dropTable(table);
  }
}
