import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueryTypes } from 'sequelize';
import { startTestApi, type TestApi } from '../../test/support/test-api.js';
import { TEST_DIALECT } from '../../test/support/test-env.js';
import { createEventBus, type DomainEvents } from './events.js';
import { createLogger } from './logger.js';
import { createOutbox } from './outbox.js';
import { currentTraceId, runWithTrace } from './trace-context.js';

const logger = createLogger({ level: 'error', serviceName: 'outbox-test' });

/** An outbox on the test API's database with its own bus, and every `stock.changed` it publishes. */
function outboxWithListener(api: TestApi) {
  const events = createEventBus(logger);
  const heard: { productId: string; available: number; traceId: string | undefined }[] = [];
  events.subscribe('stock.changed', (payload: DomainEvents['stock.changed']) => {
    heard.push({ ...payload, traceId: currentTraceId() });
  });
  return { outbox: createOutbox({ sequelize: api.sequelize, events, logger }), heard };
}

const settle = () => new Promise((done) => setTimeout(done, 50));

describe('transactional outbox', () => {
  let api: TestApi;
  before(async () => {
    // No workers: the API's own outbox poller would otherwise race the pollers under test.
    api = await startTestApi({ RUN_WORKERS: 'false' });
  });
  after(() => api.stop());

  it('when a transaction records a batch of events and commits, then each is published once, under its own trace', async () => {
    const { outbox, heard } = outboxWithListener(api);
    await runWithTrace('trace-of-the-batch', () =>
      api.sequelize.transaction((transaction) =>
        outbox.recordMany(transaction, 'stock.changed', [
          { payload: { productId: 'p-1', available: 3 }, traceId: 'trace-of-order-1' },
          { payload: { productId: 'p-2', available: 5 }, traceId: 'trace-of-order-2' },
          { payload: { productId: 'p-3', available: 8 } },
        ]),
      ),
    );
    await settle();
    assert.deepEqual(heard, [
      { productId: 'p-1', available: 3, traceId: 'trace-of-order-1' },
      { productId: 'p-2', available: 5, traceId: 'trace-of-order-2' },
      { productId: 'p-3', available: 8, traceId: 'trace-of-the-batch' },
    ]);
    await outbox.stop();
  });

  it('when the transaction rolls back, then none of its events is published', async () => {
    const { outbox, heard } = outboxWithListener(api);
    await assert.rejects(
      api.sequelize.transaction(async (transaction) => {
        await outbox.recordMany(transaction, 'stock.changed', [
          { payload: { productId: 'p-4', available: 1 } },
          { payload: { productId: 'p-5', available: 2 } },
        ]);
        throw new Error('the order failed after its events were recorded');
      }),
      /the order failed/,
    );
    await settle();
    assert.deepEqual(heard, []);
    assert.deepEqual(await outbox.publishOrphans(), 0);
    await outbox.stop();
  });

  it(
    'when COMMIT itself fails (the connection is lost), then none of the events is published',
    { skip: TEST_DIALECT === 'sqlite' && 'SQLite has no connection to lose' },
    async () => {
      const { outbox, heard } = outboxWithListener(api);
      await assert.rejects(
        api.sequelize.transaction(async (transaction) => {
          await outbox.recordMany(transaction, 'stock.changed', [{ payload: { productId: 'p-lost', available: 1 } }]);
          const [row] = await api.sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', {
            transaction,
            type: QueryTypes.SELECT,
          });
          // From another connection of the pool: the transaction's own dies before its COMMIT.
          await api.sequelize.query(`KILL ${Number(row?.id)}`);
        }),
      );
      await settle();
      assert.deepEqual(heard, []);
      await outbox.stop();
    },
  );

  it('when a process died after committing a batch, then the pollers of two others publish each of its events exactly once', async () => {
    // What a crashed writer leaves: a committed batch row, never marked published, older than the orphan age.
    const batch = [3, 2, 1].map((available, index) => ({
      payload: { productId: `orphan-${index}`, available },
      traceId: `trace-${index}`,
    }));
    await api.sequelize.query(
      `INSERT INTO outbox_events (name, payload, event_count, trace_id, published_at, created_at)
       VALUES ('stock.changed', :payload, 3, NULL, NULL, :createdAt)`,
      {
        replacements: { payload: JSON.stringify(batch), createdAt: new Date(Date.now() - 60_000) },
        type: QueryTypes.INSERT,
      },
    );
    const first = outboxWithListener(api);
    const second = outboxWithListener(api);
    const published = await Promise.all([first.outbox.publishOrphans(), second.outbox.publishOrphans()]);
    await settle();

    assert.equal(published[0] + published[1], 3);
    const heard = [...first.heard, ...second.heard].sort((a, b) => a.productId.localeCompare(b.productId));
    assert.deepEqual(heard, [
      { productId: 'orphan-0', available: 3, traceId: 'trace-0' },
      { productId: 'orphan-1', available: 2, traceId: 'trace-1' },
      { productId: 'orphan-2', available: 1, traceId: 'trace-2' },
    ]);
    assert.equal(await first.outbox.publishOrphans(), 0, 'a published row is not published again');
    await Promise.all([first.outbox.stop(), second.outbox.stop()]);
  });
});
