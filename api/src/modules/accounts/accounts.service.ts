import { createHash, randomBytes } from 'node:crypto';
import { signAccessToken } from '@vitrine/contracts/access-token';
import type { LoginBody, RegisterBody, User } from '@vitrine/contracts';
import type { Sequelize, Transaction } from 'sequelize';
import { v7 as uuidv7 } from 'uuid';
import { AppError, notFound, unauthenticated } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Outbox } from '../../platform/outbox.js';
import { EmailAlreadyRegistered, type AccountsRepository, type UserRecord } from './accounts.repository.js';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords.js';

export interface AccountsOptions {
  accessTokenKey: Uint8Array;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
}

/** What a successful login, registration or refresh hands the router. */
export interface IssuedSession {
  user: User;
  accessToken: string;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

const DAY_MS = 86_400_000;

export const toUserDto = (user: UserRecord): User => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  createdAt: user.createdAt.toISOString(),
});

const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function createAccountsService(deps: {
  sequelize: Sequelize;
  repository: AccountsRepository;
  outbox: Outbox;
  logger: Logger;
  options: AccountsOptions;
}) {
  const { sequelize, repository, outbox, logger, options } = deps;
  const badRefresh = () => unauthenticated('Refresh token is invalid or expired; log in again');

  async function startSession(
    user: UserRecord,
    familyId = uuidv7(),
    transaction?: Transaction,
  ): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshTokenExpiresAt = new Date(Date.now() + options.refreshTokenTtlDays * DAY_MS);
    await repository.insertRefreshToken(
      {
        userId: user.id,
        familyId,
        tokenHash: hashRefreshToken(refreshToken),
        expiresAt: refreshTokenExpiresAt,
      },
      transaction,
    );
    const accessToken = await signAccessToken(
      { userId: user.id, role: user.role },
      options.accessTokenKey,
      options.accessTokenTtlSeconds,
    );
    return { user: toUserDto(user), accessToken, refreshToken, refreshTokenExpiresAt };
  }

  return {
    /** Creates a customer account and starts its first session. */
    async register(input: RegisterBody): Promise<IssuedSession> {
      const passwordHash = await hashPassword(input.password);
      try {
        // The account and its `account.registered` event (welcome email) commit together.
        const user = await sequelize.transaction(async (transaction) => {
          const inserted = await repository.insertUser(
            { email: input.email, passwordHash, name: input.name, role: 'customer' },
            transaction,
          );
          await outbox.record(transaction, 'account.registered', {
            userId: inserted.id,
            email: inserted.email,
            name: inserted.name,
          });
          return inserted;
        });
        logger.info('account registered', { user: { id: user.id }, event: { action: 'account-registered' } });
        return await startSession(user);
      } catch (error) {
        if (error instanceof EmailAlreadyRegistered) {
          throw new AppError('EMAIL_TAKEN', 'An account with this email already exists');
        }
        throw error;
      }
    },

    async login(input: LoginBody): Promise<IssuedSession> {
      const user = await repository.findUserByEmail(input.email);
      const valid = user
        ? await verifyPassword(user.passwordHash, input.password)
        : await verifyAgainstDecoy(input.password);
      if (!user || !valid) {
        logger.info('login failed', { event: { action: 'login-failed', outcome: 'failure' } });
        throw unauthenticated('Email or password is incorrect');
      }
      return startSession(user);
    },

    /**
     * Rotates a refresh token: the presented one is spent and a new one of the same family is
     * issued. Presenting a spent token again means it leaked, so its whole family is revoked.
     */
    async refresh(presentedToken: string | undefined): Promise<IssuedSession> {
      if (!presentedToken) throw badRefresh();
      const token = await repository.findRefreshTokenByHash(hashRefreshToken(presentedToken));
      if (!token || token.revokedAt) throw badRefresh();
      const now = new Date();

      const revokeFamilyForReuse = async () => {
        const revoked = await repository.revokeRefreshTokenFamily(token.familyId, now);
        logger.warn('refresh token reused; session family revoked', {
          user: { id: token.userId },
          event: { action: 'refresh-token-reuse', outcome: 'failure' },
          session: { revokedTokens: revoked },
        });
      };
      if (token.usedAt) {
        await revokeFamilyForReuse();
        throw badRefresh();
      }
      if (token.expiresAt.getTime() <= now.getTime()) throw badRefresh();

      // Spending the old token and issuing its successor commit together: a concurrent request
      // with the same token waits on the spent row, loses, and then revokes the successor too.
      const session = await sequelize.transaction(async (transaction) => {
        if (!(await repository.spendRefreshToken(token.id, now, transaction))) return null;
        const user = await repository.findUserById(token.userId);
        return user ? startSession(user, token.familyId, transaction) : null;
      });
      if (!session) {
        // Another request spent it a moment ago: the same token presented twice is reuse too.
        await revokeFamilyForReuse();
        throw badRefresh();
      }
      return session;
    },

    /** Ends the session the refresh token belongs to (all tokens of its family). */
    async logout(presentedToken: string | undefined): Promise<void> {
      if (!presentedToken) return;
      const token = await repository.findRefreshTokenByHash(hashRefreshToken(presentedToken));
      if (token) await repository.revokeRefreshTokenFamily(token.familyId, new Date());
    },

    async getUser(userId: string): Promise<User> {
      const user = await repository.findUserById(userId);
      if (!user) throw notFound('User');
      return toUserDto(user);
    },

    async listUsers(page: { page: number; limit: number }): Promise<{ items: User[]; total: number }> {
      const found = await repository.listUsers({ offset: (page.page - 1) * page.limit, limit: page.limit });
      return { items: found.items.map(toUserDto), total: found.total };
    },

    /** Makes sure the configured administrator exists with the configured password (run at start). */
    async ensureAdmin(admin: { email: string; password: string }): Promise<void> {
      const existing = await repository.findUserByEmail(admin.email);
      if (!existing) {
        try {
          const passwordHash = await hashPassword(admin.password);
          await repository.insertUser({ email: admin.email, passwordHash, name: 'Administrator', role: 'admin' });
          logger.info('admin account created', { user: { email: admin.email } });
        } catch (error) {
          // Another API process starting at the same moment created it first.
          if (!(error instanceof EmailAlreadyRegistered)) throw error;
        }
        return;
      }
      const changes: { role?: 'admin'; passwordHash?: string } = {};
      if (existing.role !== 'admin') changes.role = 'admin';
      if (!(await verifyPassword(existing.passwordHash, admin.password))) {
        changes.passwordHash = await hashPassword(admin.password);
      }
      if (Object.keys(changes).length > 0) {
        await repository.updateUser(existing.id, changes);
        logger.info('admin account updated from configuration', { user: { id: existing.id } });
      }
    },
  };
}
export type AccountsService = ReturnType<typeof createAccountsService>;
