import {
  DataTypes,
  Op,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Model,
  type Sequelize,
  type Transaction,
} from 'sequelize';
import type { DomainEventName, DomainEvents, EventBus } from './events.js';
import type { Logger } from './logger.js';
import { currentTraceId, runWithTrace, newTraceId } from './trace-context.js';

interface OutboxRow extends Model<InferAttributes<OutboxRow>, InferCreationAttributes<OutboxRow>> {
  id: CreationOptional<number>;
  name: string;
  payload: string;
  traceId: string | null;
  publishedAt: Date | null;
  createdAt: CreationOptional<Date>;
}

/**
 * Rows a crashed process wrote but never published are picked up after this long: well past the
 * writer's own (batched) marking, even under load, so that live rows are not published twice.
 */
const ORPHAN_AGE_MS = 15_000;

/**
 * Transactional outbox. `record` writes an event in the caller's transaction; once that commits,
 * this process publishes it on the event bus and marks it published. A poller publishes what a
 * crashed process left behind. Delivery is at least once: listeners are idempotent.
 */
export function createOutbox(deps: { sequelize: Sequelize; events: EventBus; logger: Logger }) {
  const { sequelize, events, logger } = deps;
  const Outbox = sequelize.define<OutboxRow>(
    'OutboxEvent',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(60), allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      traceId: { type: DataTypes.STRING(64), allowNull: true },
      publishedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE(3),
    },
    { tableName: 'outbox_events', underscored: true, updatedAt: false },
  );

  let markQueue: number[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let polling: Promise<unknown> | undefined;

  const dispatch = (name: string, payload: unknown, traceId: string | null) => {
    runWithTrace(traceId ?? newTraceId(), () =>
      events.publish(name as DomainEventName, payload as DomainEvents[DomainEventName]),
    );
  };

  // Marking in batches keeps the hot path at one extra UPDATE per ~50 ms, not one per event.
  const flushMarks = async () => {
    markTimer = undefined;
    const ids = markQueue;
    markQueue = [];
    if (ids.length === 0) return;
    await Outbox.update({ publishedAt: new Date() }, { where: { id: ids } }).catch((error: unknown) =>
      logger.warn('outbox rows not marked published; they may be published again', { err: error }),
    );
  };
  const markPublished = (id: number) => {
    markQueue.push(id);
    markTimer ??= setTimeout(() => void flushMarks(), 50);
  };

  async function publishOrphans(): Promise<number> {
    const rows = await Outbox.findAll({
      where: { publishedAt: { [Op.is]: null }, createdAt: { [Op.lt]: new Date(Date.now() - ORPHAN_AGE_MS) } },
      order: [['id', 'ASC']],
      limit: 500,
    });
    let published = 0;
    for (const row of rows) {
      // Claim first: with several API processes polling, each orphan is published by one.
      const [claimed] = await Outbox.update(
        { publishedAt: new Date() },
        { where: { id: row.id, publishedAt: { [Op.is]: null } } },
      );
      if (claimed !== 1) continue;
      dispatch(row.name, JSON.parse(row.payload), row.traceId);
      published++;
    }
    return published;
  }

  return {
    /** Writes the event in `transaction`; it is published after, and only if, the transaction commits. */
    async record<N extends DomainEventName>(
      transaction: Transaction,
      name: N,
      payload: DomainEvents[N],
    ): Promise<void> {
      const traceId = currentTraceId() ?? null;
      const row = await Outbox.create(
        { name, payload: JSON.stringify(payload), traceId, publishedAt: null },
        { transaction },
      );
      transaction.afterCommit(() => {
        dispatch(name, payload, traceId);
        markPublished(row.id);
      });
    },

    /** Several events in one INSERT (a batch of expiries), published after commit like `record`. */
    async recordMany<N extends DomainEventName>(
      transaction: Transaction,
      entries: readonly { name: N; payload: DomainEvents[N] }[],
    ): Promise<void> {
      if (entries.length === 0) return;
      const traceId = currentTraceId() ?? null;
      const rows = await Outbox.bulkCreate(
        entries.map((entry) => ({
          name: entry.name,
          payload: JSON.stringify(entry.payload),
          traceId,
          publishedAt: null,
        })),
        { transaction },
      );
      transaction.afterCommit(() => {
        entries.forEach((entry, index) => {
          dispatch(entry.name, entry.payload, traceId);
          const id = rows[index]?.id;
          if (id) markPublished(id);
        });
      });
    },

    publishOrphans,

    startPolling(intervalMs = 1_000): void {
      poller ??= setInterval(() => {
        if (polling) return;
        polling = publishOrphans()
          .catch((error: unknown) => logger.warn('outbox poll failed', { err: error }))
          .finally(() => (polling = undefined));
      }, intervalMs);
      poller.unref();
    },

    async stop(): Promise<void> {
      if (poller) clearInterval(poller);
      poller = undefined;
      await polling;
      if (markTimer) clearTimeout(markTimer);
      await flushMarks();
    },
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
