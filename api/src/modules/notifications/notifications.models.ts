import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';
import type { EmailLocale, EmailStatus, EmailTemplate } from '@vitrine/contracts';

export interface SentEmailRow extends Model<InferAttributes<SentEmailRow>, InferCreationAttributes<SentEmailRow>> {
  id: string;
  dedupeKey: string;
  template: EmailTemplate;
  locale: EmailLocale;
  userId: string | null;
  orderId: string | null;
  recipient: string;
  subject: string;
  /** JSON of the template's parameters. */
  params: string;
  status: EmailStatus;
  attempts: CreationOptional<number>;
  lastError: CreationOptional<string | null>;
  skippedReason: CreationOptional<string | null>;
  providerMessageId: CreationOptional<string | null>;
  sendAfter: Date | null;
  claimedAt: CreationOptional<Date | null>;
  sentAt: CreationOptional<Date | null>;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export function defineNotificationModels(sequelize: Sequelize) {
  const SentEmail = sequelize.define<SentEmailRow>(
    'SentEmail',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      dedupeKey: { type: DataTypes.STRING(191), allowNull: false, unique: true },
      template: { type: DataTypes.STRING(40), allowNull: false },
      locale: { type: DataTypes.STRING(10), allowNull: false },
      userId: { type: DataTypes.CHAR(36), allowNull: true },
      orderId: { type: DataTypes.CHAR(36), allowNull: true },
      recipient: { type: DataTypes.STRING(254), allowNull: false },
      subject: { type: DataTypes.STRING(300), allowNull: false },
      params: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.STRING(12), allowNull: false },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      skippedReason: { type: DataTypes.STRING(200), allowNull: true },
      providerMessageId: { type: DataTypes.STRING(200), allowNull: true },
      sendAfter: { type: DataTypes.DATE(3), allowNull: true },
      claimedAt: { type: DataTypes.DATE(3), allowNull: true },
      sentAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'sent_emails', underscored: true },
  );
  return { SentEmail };
}
export type NotificationModels = ReturnType<typeof defineNotificationModels>;
