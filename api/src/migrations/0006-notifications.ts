import { DataTypes, type QueryInterface } from 'sequelize';

export async function up(queryInterface: QueryInterface): Promise<void> {
  // One row per transactional email: its outbox, its delivery record and its duplicate guard at once.
  await queryInterface.createTable('sent_emails', {
    id: { type: DataTypes.CHAR(36), primaryKey: true, allowNull: false },
    // `<event>:<aggregate id>:<template>`: a redelivered event or a job run twice finds this row and sends nothing.
    dedupe_key: { type: DataTypes.STRING(191), allowNull: false },
    template: { type: DataTypes.STRING(40), allowNull: false },
    locale: { type: DataTypes.STRING(10), allowNull: false },
    user_id: { type: DataTypes.CHAR(36), allowNull: true },
    order_id: { type: DataTypes.CHAR(36), allowNull: true },
    recipient: { type: DataTypes.STRING(254), allowNull: false },
    subject: { type: DataTypes.STRING(300), allowNull: false },
    // The template's parameters (JSON); the message is rendered from them when it is sent.
    params: { type: DataTypes.TEXT, allowNull: false },
    // SCHEDULED, PENDING, SENDING, RETRYING, SENT, FAILED, SKIPPED
    status: { type: DataTypes.STRING(12), allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    last_error: { type: DataTypes.TEXT, allowNull: true },
    skipped_reason: { type: DataTypes.STRING(200), allowNull: true },
    provider_message_id: { type: DataTypes.STRING(200), allowNull: true },
    send_after: { type: DataTypes.DATE(3), allowNull: true },
    claimed_at: { type: DataTypes.DATE(3), allowNull: true },
    sent_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await queryInterface.addIndex('sent_emails', ['dedupe_key'], { name: 'sent_emails_dedupe_key', unique: true });
  // The resume sweep: unfinished rows by status and age.
  await queryInterface.addIndex('sent_emails', ['status', 'updated_at'], { name: 'sent_emails_by_status' });
  await queryInterface.addIndex('sent_emails', ['created_at'], { name: 'sent_emails_by_created' });
  await queryInterface.addIndex('sent_emails', ['order_id'], { name: 'sent_emails_by_order' });
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('sent_emails');
}
