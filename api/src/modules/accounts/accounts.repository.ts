import type { Role } from '@vitrine/contracts';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import type { AccountModels, UserRow } from './accounts.models.js';

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  name: string;
  role: Role;
  createdAt: Date;
}

export interface RefreshTokenRecord {
  id: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export class EmailAlreadyRegistered extends Error {}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.passwordHash,
  name: row.name,
  role: row.role,
  createdAt: row.createdAt,
});

export function createAccountsRepository({ User, RefreshToken }: AccountModels) {
  return {
    async insertUser(
      user: { email: string; passwordHash: string; name: string; role: Role },
      transaction?: Transaction,
    ): Promise<UserRecord> {
      try {
        return toUser(await User.create({ id: uuidv7(), ...user }, { transaction }));
      } catch (error) {
        if (error instanceof UniqueConstraintError) throw new EmailAlreadyRegistered(user.email);
        throw error;
      }
    },

    async findUserByEmail(email: string): Promise<UserRecord | null> {
      const row = await User.findOne({ where: { email } });
      return row ? toUser(row) : null;
    },

    async findUserById(id: string): Promise<UserRecord | null> {
      const row = await User.findByPk(id);
      return row ? toUser(row) : null;
    },

    async listUsers(page: { offset: number; limit: number }): Promise<{ items: UserRecord[]; total: number }> {
      const { rows, count } = await User.findAndCountAll({
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        offset: page.offset,
        limit: page.limit,
      });
      return { items: rows.map(toUser), total: count };
    },

    async updateUser(id: string, changes: Partial<Pick<UserRecord, 'passwordHash' | 'role' | 'name'>>): Promise<void> {
      await User.update(changes, { where: { id } });
    },

    async insertRefreshToken(
      token: { userId: string; familyId: string; tokenHash: string; expiresAt: Date },
      transaction?: Transaction,
    ): Promise<void> {
      await RefreshToken.create({ id: uuidv7(), ...token }, { transaction });
    },

    async findRefreshTokenByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
      const row = await RefreshToken.findOne({ where: { tokenHash } });
      if (!row) return null;
      return {
        id: row.id,
        userId: row.userId,
        familyId: row.familyId,
        expiresAt: row.expiresAt,
        usedAt: row.usedAt ?? null,
        revokedAt: row.revokedAt ?? null,
      };
    },

    /** Marks a token spent only if it still is usable; false when another request spent it first. */
    async spendRefreshToken(id: string, now: Date, transaction: Transaction): Promise<boolean> {
      const [affected] = await RefreshToken.update(
        { usedAt: now },
        { where: { id, usedAt: { [Op.is]: null }, revokedAt: { [Op.is]: null } }, transaction },
      );
      return affected === 1;
    },

    async revokeRefreshTokenFamily(familyId: string, now: Date): Promise<number> {
      const [affected] = await RefreshToken.update(
        { revokedAt: now },
        { where: { familyId, revokedAt: { [Op.is]: null } } },
      );
      return affected;
    },
  };
}
export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
