import type { Address, CreateAddressBody, UpdateAddressBody } from '@vitrine/contracts';
import { UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { isRetryableTransactionError } from '../../platform/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { AddressesRepository, AddressFields } from './addresses.repository.js';

/** A generous bound that still keeps one user from filling the table. */
export const MAX_ADDRESSES_PER_USER = 20;

function fieldsOf(body: CreateAddressBody | UpdateAddressBody): Partial<AddressFields> {
  const { isDefault: _ignored, ...fields } = body;
  return fields.line2 === undefined ? fields : { ...fields, line2: fields.line2 ?? null };
}

/**
 * The address book. Every user with addresses has exactly one default: the first address
 * becomes it, choosing another moves it, and removing it passes it to the newest remaining one.
 */
export function createAddressesService(deps: { sequelize: Sequelize; repository: AddressesRepository }) {
  const { sequelize, repository } = deps;

  /**
   * Two concurrent changes can both try to set a default; the unique index refuses one (or the
   * database picks a deadlock victim), which then runs again and sees the other's result.
   */
  async function inTransaction<T>(work: (transaction: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sequelize.transaction(work);
      } catch (error) {
        const retryable = error instanceof UniqueConstraintError || isRetryableTransactionError(error);
        if (!retryable || attempt >= 3) throw error;
      }
    }
  }

  async function requireOwned(userId: string, id: string, transaction?: Transaction): Promise<Address> {
    const address = await repository.findOwned(userId, id, transaction);
    if (!address) throw notFound('Address');
    return address;
  }

  return {
    list(userId: string): Promise<Address[]> {
      return repository.listForUser(userId);
    },

    create(userId: string, body: CreateAddressBody): Promise<Address> {
      return inTransaction(async (transaction) => {
        const existing = await repository.countForUser(userId, transaction);
        if (existing >= MAX_ADDRESSES_PER_USER) {
          throw new AppError('VALIDATION_FAILED', `An address book holds at most ${MAX_ADDRESSES_PER_USER} addresses`);
        }
        const becomesDefault = existing === 0 || body.isDefault === true;
        if (becomesDefault && existing > 0) await repository.clearDefault(userId, transaction);
        return repository.insert(userId, fieldsOf(body) as AddressFields, becomesDefault, transaction);
      });
    },

    update(userId: string, id: string, body: UpdateAddressBody): Promise<Address> {
      return inTransaction(async (transaction) => {
        const current = await requireOwned(userId, id, transaction);
        const fields = fieldsOf(body);
        if (Object.keys(fields).length > 0) await repository.update(userId, id, fields, transaction);
        if (body.isDefault === true && !current.isDefault) {
          await repository.clearDefault(userId, transaction);
          await repository.markDefault(userId, id, transaction);
        }
        if (body.isDefault === false && current.isDefault) {
          // The only address stays the default: a book with addresses always has one.
          const heir = await repository.newestOther(userId, id, transaction);
          if (heir) {
            await repository.clearDefault(userId, transaction);
            await repository.markDefault(userId, heir, transaction);
          }
        }
        return requireOwned(userId, id, transaction);
      });
    },

    remove(userId: string, id: string): Promise<void> {
      return inTransaction(async (transaction) => {
        const current = await requireOwned(userId, id, transaction);
        await repository.remove(userId, id, transaction);
        if (current.isDefault) {
          const heir = await repository.newestOther(userId, id, transaction);
          if (heir) await repository.markDefault(userId, heir, transaction);
        }
      });
    },

    /** For orders (a batch at a time): each address if that user owns it, else null; copied at order time. */
    findOwnedMany(wanted: readonly { userId: string; id: string }[]): Promise<(Address | null)[]> {
      return wanted.length === 0 ? Promise.resolve([]) : repository.findManyOwned(wanted);
    },
  };
}
export type AddressesService = ReturnType<typeof createAddressesService>;
