import { createHash } from 'node:crypto';
import {
  DataTypes,
  Op,
  UniqueConstraintError,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
} from 'sequelize';
import { AppError } from './errors.js';
import type { HttpAnswer } from './http/route.js';

interface IdempotencyRow extends Model<InferAttributes<IdempotencyRow>, InferCreationAttributes<IdempotencyRow>> {
  userId: string;
  scope: string;
  idempotencyKey: string;
  requestHash: string;
  state: 'IN_PROGRESS' | 'DONE';
  responseStatus: number | null;
  responseBody: string | null;
  createdAt: CreationOptional<Date>;
  updatedAt: CreationOptional<Date>;
}

/** A first request that died without answering frees its key after this long. */
const ABANDONED_AFTER_MS = 60_000;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const hashRequest = (request: unknown) => createHash('sha256').update(canonicalJson(request)).digest('hex');

/**
 * `Idempotency-Key` (IETF draft): the first request with a key runs and its answer is stored; the
 * same key and body again answers that stored answer and does nothing new; another body is 422
 * IDEMPOTENCY_MISMATCH; while the first still runs, 409 IDEMPOTENCY_IN_PROGRESS. Keys are per user
 * and per operation (`scope`). Server errors are not stored, so the client may retry them.
 */
export function createIdempotency(sequelize: Sequelize) {
  const Key = sequelize.define<IdempotencyRow>(
    'IdempotencyKey',
    {
      userId: { type: DataTypes.CHAR(36), primaryKey: true },
      scope: { type: DataTypes.STRING(80), primaryKey: true },
      idempotencyKey: { type: DataTypes.STRING(255), primaryKey: true },
      requestHash: { type: DataTypes.CHAR(64), allowNull: false },
      state: { type: DataTypes.STRING(12), allowNull: false },
      responseStatus: { type: DataTypes.INTEGER, allowNull: true },
      responseBody: { type: DataTypes.TEXT('medium'), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { tableName: 'idempotency_keys', underscored: true },
  );

  async function claim(where: { userId: string; scope: string; idempotencyKey: string }, requestHash: string) {
    try {
      await Key.create({ ...where, requestHash, state: 'IN_PROGRESS', responseStatus: null, responseBody: null });
      return null;
    } catch (error) {
      if (!(error instanceof UniqueConstraintError)) throw error;
    }
    const existing = await Key.findOne({ where });
    if (!existing) return claim(where, requestHash);
    if (existing.requestHash !== requestHash) {
      throw new AppError('IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was used with a different request');
    }
    if (existing.state === 'DONE') {
      return { status: existing.responseStatus ?? 200, body: JSON.parse(existing.responseBody ?? 'null') as unknown };
    }
    // Take over a key whose first request died; otherwise it is still running.
    const [takenOver] = await Key.update(
      { updatedAt: new Date() },
      { where: { ...where, state: 'IN_PROGRESS', updatedAt: { [Op.lt]: new Date(Date.now() - ABANDONED_AFTER_MS) } } },
    );
    if (takenOver === 1) return null;
    throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');
  }

  return {
    async run(
      request: { userId: string; scope: string; key: string | undefined; body: unknown },
      work: () => Promise<HttpAnswer>,
    ): Promise<HttpAnswer> {
      if (request.key === undefined) return work();
      const where = { userId: request.userId, scope: request.scope, idempotencyKey: request.key };
      const stored = await claim(where, hashRequest(request.body));
      if (stored) return stored;
      let answer: HttpAnswer;
      try {
        answer = await work();
      } catch (error) {
        if (error instanceof AppError && error.status < 500) {
          const body = { error: { code: error.code, message: error.message, details: error.details } };
          await Key.update(
            { state: 'DONE', responseStatus: error.status, responseBody: JSON.stringify(body) },
            { where },
          );
        } else {
          await Key.destroy({ where });
        }
        throw error;
      }
      await Key.update(
        { state: 'DONE', responseStatus: answer.status, responseBody: JSON.stringify(answer.body ?? null) },
        { where },
      );
      return answer;
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
