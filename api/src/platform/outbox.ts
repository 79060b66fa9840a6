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
  /** How many events the row carries; above one, `payload` is a JSON array of {@link BatchedEvent}. */
  eventCount: CreationOptional<number>;
  traceId: string | null;
  publishedAt: Date | null;
  createdAt: CreationOptional<Date>;
}

/** One event of a batch row: its payload and the trace of the request that caused it. */
interface BatchedEvent {
  payload: unknown;
  traceId: string | null;
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
      payload: { type: DataTypes.TEXT('medium'), allowNull: false },
      eventCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
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

  const dispatchRow = (row: Pick<OutboxRow, 'name' | 'payload' | 'eventCount' | 'traceId'>) => {
    const payload: unknown = JSON.parse(row.payload);
    if (row.eventCount > 1) {
      for (const event of payload as BatchedEvent[]) dispatch(row.name, event.payload, event.traceId);
    } else {
      dispatch(row.name, payload, row.traceId);
    }
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
      dispatchRow(row);
      published += row.eventCount;
    }
    return published;
  }

  async function insert(
    transaction: Transaction,
    name: DomainEventName,
    batch: readonly BatchedEvent[],
  ): Promise<void> {
    const single = batch.length === 1 ? batch[0] : undefined;
    const row = await Outbox.create(
      single
        ? { name, payload: JSON.stringify(single.payload), traceId: single.traceId, publishedAt: null }
        : { name, payload: JSON.stringify(batch), eventCount: batch.length, traceId: null, publishedAt: null },
      { transaction },
    );
    transaction.afterCommit(() => {
      for (const event of batch) dispatch(name, event.payload, event.traceId);
      markPublished(row.id);
    });
  }

  return {
    /** Writes the event in `transaction`; it is published after, and only if, the transaction commits. */
    async record<N extends DomainEventName>(
      transaction: Transaction,
      name: N,
      payload: DomainEvents[N],
    ): Promise<void> {
      await insert(transaction, name, [{ payload, traceId: currentTraceId() ?? null }]);
    },

    /**
     * Several events of one kind (the orders or expiries of a batch) in one row, published after
     * commit like `record`, each under its own trace: an entry's `traceId` (the request that caused
     * it, when a batch carries many requests) wins over the current one.
     */
    async recordMany<N extends DomainEventName>(
      transaction: Transaction,
      name: N,
      entries: readonly { payload: DomainEvents[N]; traceId?: string }[],
    ): Promise<void> {
      if (entries.length === 0) return;
      const current = currentTraceId() ?? null;
      await insert(
        transaction,
        name,
        entries.map((entry) => ({ payload: entry.payload, traceId: entry.traceId ?? current })),
      );
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
