import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';

export type PaymentStatus = 'SUCCEEDED' | 'DECLINED' | 'FAILED' | 'REFUND_REQUIRED' | 'REFUNDED';
export type PaymentSource = 'checkout' | 'webhook';

export interface PaymentRow extends Model<InferAttributes<PaymentRow>, InferCreationAttributes<PaymentRow>> {
  id: string;
  orderId: string;
  provider: string;
  status: PaymentStatus;
  amount: number;
  providerReference: string | null;
  source: PaymentSource;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

export interface WebhookEventRow extends Model<
  InferAttributes<WebhookEventRow>,
  InferCreationAttributes<WebhookEventRow>
> {
  provider: string;
  eventId: string;
  orderId: string;
  outcome: string;
  createdAt: CreationOptional<Date>;
}

export function definePaymentModels(sequelize: Sequelize) {
  const Payment = sequelize.define<PaymentRow>(
    'Payment',
    {
      id: { type: DataTypes.CHAR(36), primaryKey: true },
      orderId: { type: DataTypes.CHAR(36), allowNull: false },
      provider: { type: DataTypes.STRING(40), allowNull: false },
      status: { type: DataTypes.STRING(20), allowNull: false },
      amount: { type: DataTypes.BIGINT, allowNull: false },
      providerReference: { type: DataTypes.STRING(100), allowNull: true },
      source: { type: DataTypes.STRING(20), allowNull: false },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'payments', underscored: true },
  );
  const WebhookEvent = sequelize.define<WebhookEventRow>(
    'PaymentWebhookEvent',
    {
      provider: { type: DataTypes.STRING(40), primaryKey: true },
      eventId: { type: DataTypes.STRING(100), primaryKey: true },
      orderId: { type: DataTypes.CHAR(36), allowNull: false },
      outcome: { type: DataTypes.STRING(20), allowNull: false },
      createdAt: DataTypes.DATE(3),
    },
    { tableName: 'payment_webhook_events', underscored: true, updatedAt: false },
  );
  return { Payment, WebhookEvent };
}
export type PaymentModels = ReturnType<typeof definePaymentModels>;
