import type { QueryInterface } from 'sequelize';
import * as accountsAndAddresses from './0001-accounts-and-addresses.js';
import * as catalogAndInventory from './0002-catalog-and-inventory.js';
import * as ordersAndPayments from './0004-orders-payments-idempotency-outbox.js';
import * as reviews from './0005-reviews.js';
import * as notifications from './0006-notifications.js';
import * as outboxBatches from './0007-outbox-batches.js';

export interface Migration {
  name: string;
  up(queryInterface: QueryInterface): Promise<void>;
  down(queryInterface: QueryInterface): Promise<void>;
}

/** Every migration in order. A landed migration is never edited; a change is a new entry. */
export const MIGRATIONS: Migration[] = [
  { name: '0001-accounts-and-addresses', ...accountsAndAddresses },
  { name: '0002-catalog-and-inventory', ...catalogAndInventory },
  { name: '0004-orders-payments-idempotency-outbox', ...ordersAndPayments },
  { name: '0005-reviews', ...reviews },
  { name: '0006-notifications', ...notifications },
  { name: '0007-outbox-batches', ...outboxBatches },
];
