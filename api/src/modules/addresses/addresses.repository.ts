import type { Address } from '@vitrine/contracts';
import { Op, type Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import { selectRows } from '../../platform/sql.js';
import type { AddressModels, AddressRow } from './addresses.models.js';

export type AddressFields = Omit<Address, 'id' | 'isDefault'>;

const toAddress = (row: AddressRow): Address => ({
  id: row.id,
  recipient: row.recipient,
  phone: row.phone,
  line1: row.line1,
  line2: row.line2 ?? null,
  city: row.city,
  postalCode: row.postalCode,
  country: row.country,
  isDefault: row.defaultMarker === true,
});

export function createAddressesRepository({ Address: AddressModel }: AddressModels) {
  return {
    /** Default first, then newest. */
    async listForUser(userId: string, transaction?: Transaction): Promise<Address[]> {
      const rows = await AddressModel.findAll({
        where: { userId },
        order: [
          ['defaultMarker', 'DESC'],
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        transaction,
      });
      return rows.map(toAddress);
    },

    async countForUser(userId: string, transaction: Transaction): Promise<number> {
      return AddressModel.count({ where: { userId }, transaction });
    },

    async findOwned(userId: string, id: string, transaction?: Transaction): Promise<Address | null> {
      const row = await AddressModel.findOne({ where: { id, userId }, transaction });
      return row ? toAddress(row) : null;
    },

    /** Many lookups in one query (the order hot path: plain SQL); each answers its address only if that user owns it. */
    async findManyOwned(wanted: readonly { userId: string; id: string }[]): Promise<(Address | null)[]> {
      const rows = await selectRows<Omit<Address, 'isDefault'> & { userId: string; defaultMarker: unknown }>(
        AddressModel.sequelize!,
        `SELECT id, user_id AS userId, recipient, phone, line1, line2, city, postal_code AS postalCode, country,
                default_marker AS defaultMarker
           FROM addresses WHERE id IN (:ids)`,
        { ids: [...new Set(wanted.map((key) => key.id))] },
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return wanted.map(({ userId, id }) => {
        const row = byId.get(id);
        if (!row || row.userId !== userId) return null;
        const { userId: _owner, defaultMarker, ...fields } = row;
        // BOOLEAN comes back as 1 from both MySQL and SQLite in plain SQL.
        return { ...fields, line2: fields.line2 ?? null, isDefault: Boolean(defaultMarker) };
      });
    },

    async insert(
      userId: string,
      fields: AddressFields,
      isDefault: boolean,
      transaction: Transaction,
    ): Promise<Address> {
      const row = await AddressModel.create(
        { id: uuidv7(), userId, ...fields, defaultMarker: isDefault ? true : null },
        { transaction },
      );
      return toAddress(row);
    },

    async update(userId: string, id: string, fields: Partial<AddressFields>, transaction: Transaction): Promise<void> {
      await AddressModel.update(fields, { where: { id, userId }, transaction });
    },

    async remove(userId: string, id: string, transaction: Transaction): Promise<void> {
      await AddressModel.destroy({ where: { id, userId }, transaction });
    },

    async clearDefault(userId: string, transaction: Transaction): Promise<void> {
      await AddressModel.update({ defaultMarker: null }, { where: { userId, defaultMarker: true }, transaction });
    },

    async markDefault(userId: string, id: string, transaction: Transaction): Promise<void> {
      await AddressModel.update({ defaultMarker: true }, { where: { id, userId }, transaction });
    },

    /** The newest address other than `exceptId`, the one that inherits the default. */
    async newestOther(userId: string, exceptId: string, transaction: Transaction): Promise<string | null> {
      const row = await AddressModel.findOne({
        where: { userId, id: { [Op.ne]: exceptId } },
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        transaction,
      });
      return row?.id ?? null;
    },
  };
}
export type AddressesRepository = ReturnType<typeof createAddressesRepository>;
