import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * Outbox rows may carry a batch of events of one name (the orders or expiries of one transaction):
 * `event_count` says how many, and above one `payload` is a JSON array of `{payload, traceId}`.
 * One row per transaction instead of one per order halves the writes of a busy transaction;
 * MEDIUMTEXT holds a batch of hundreds of events (MySQL's TEXT stops at 64 KB).
 */
export async function up(queryInterface: QueryInterface): Promise<void> {
  if (queryInterface.sequelize.getDialect() !== 'sqlite') {
    await queryInterface.changeColumn('outbox_events', 'payload', { type: DataTypes.TEXT('medium'), allowNull: false });
  }
  await queryInterface.addColumn('outbox_events', 'event_count', {
    type: DataTypes.INTEGER,
    allowNull: false,
    defaultValue: 1,
  });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.removeColumn('outbox_events', 'event_count');
  if (queryInterface.sequelize.getDialect() !== 'sqlite') {
    await queryInterface.changeColumn('outbox_events', 'payload', { type: DataTypes.TEXT, allowNull: false });
  }
}
