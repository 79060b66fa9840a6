import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StockEvent } from '@vitrine/contracts';
import { Redis } from 'ioredis';
import { createLogger } from '../../platform/logger.js';
import { deleteRedisKeys, REDIS_URL, RUN_ID } from '../../../test/support/test-env.js';
import type { SocketEmitter } from './socket-emitter.js';
import { createStockFeed, type StockFeed } from './stock-feed.js';

const PREFIX = `vitrine-test:feed_${RUN_ID}_${process.pid}:`;
const logger = createLogger({ level: 'error', serviceName: 'vitrine-api-test' });

interface Sent {
  room: string;
  event: StockEvent;
  receivedAt: number;
}

/** A feed whose emitter records what it would publish, as one API process would. */
function recordingFeed(redis: Redis, sent: Sent[], options: { failPublishes?: number } = {}): StockFeed {
  let failures = options.failPublishes ?? 0;
  const emitter: SocketEmitter = {
    toRoom(room, _event, payload) {
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error('publish failed'));
      }
      sent.push({ room, event: payload as StockEvent, receivedAt: Date.now() });
      return Promise.resolve();
    },
  };
  return createStockFeed({ redis, keyPrefix: PREFIX, emitter, logger, timing: { retryMs: 100 } });
}

describe('stock feed (coalescing, pacing and seq in Redis)', () => {
  let redis: Redis;
  const feeds: StockFeed[] = [];
  const counter = (productId: string) => `${PREFIX}stock:${productId}`;

  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await Promise.all(feeds.map((feed) => feed.stop()));
    await deleteRedisKeys(PREFIX);
    redis.disconnect();
  });

  const newFeed = (sent: Sent[], options?: { failPublishes?: number }) => {
    const feed = recordingFeed(redis, sent, options);
    feeds.push(feed);
    return feed;
  };

  it('when one change is committed, then one event with the counter value goes to the product room at once (settle time only)', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    await redis.set(counter(productId), 7);
    const changedAt = Date.now();
    feed.changed(productId, 7);
    await sleep(400);
    assert.equal(sent.length, 1);
    const [first] = sent;
    assert.equal(first?.room, `product:${productId}`);
    assert.equal(first?.event.stock, 7);
    assert.ok((first?.receivedAt ?? Infinity) - changedAt < 250, `${(first?.receivedAt ?? 0) - changedAt} ms`);
    // The first seq of a product is the time in ms, so seqs outgrow any a lost Redis hash had handed out.
    assert.ok(Math.abs((first?.event.seq ?? 0) - Date.now()) < 10_000);
  });

  it('when a burst of changes comes in, then at most ~10 events/s go out, seq grows and the latest value wins', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    const started = Date.now();
    for (let stock = 100; stock > 40; stock--) {
      await redis.set(counter(productId), stock);
      feed.changed(productId, stock);
      await sleep(10);
    }
    const elapsed = Date.now() - started;
    await sleep(500);
    assert.ok(sent.length <= Math.ceil(elapsed / 100) + 2, `${sent.length} events in ${elapsed} ms`);
    assert.ok(sent.length >= 3, `only ${sent.length} events`);
    assert.equal(sent.at(-1)?.event.stock, 41);
    for (let i = 1; i < sent.length; i++) {
      assert.ok((sent[i]?.event.seq ?? 0) > (sent[i - 1]?.event.seq ?? 0), 'seq grows');
      // Paced by Redis's clock (the `at` of each event), which every API process shares.
      const gap = Date.parse(sent[i]?.event.at ?? '') - Date.parse(sent[i - 1]?.event.at ?? '');
      assert.ok(gap >= 100, `events are paced (${gap} ms apart)`);
    }
  });

  it('when two API processes feed one product, then the pacing and the seq hold across both', async () => {
    const sent: Sent[] = [];
    const [feedA, feedB] = [newFeed(sent), newFeed(sent)];
    const productId = randomUUID();
    for (let stock = 60; stock > 0; stock--) {
      await redis.set(counter(productId), stock);
      (stock % 2 === 0 ? feedA : feedB).changed(productId, stock);
      await sleep(8);
    }
    await sleep(600);
    assert.equal(sent.at(-1)?.event.stock, 1, 'the last value sent is the final one');
    for (let i = 1; i < sent.length; i++) {
      const [previous, current] = [sent[i - 1]?.event, sent[i]?.event];
      assert.ok((current?.seq ?? 0) > (previous?.seq ?? 0), 'seq grows');
      assert.ok((current?.stock ?? 0) < (previous?.stock ?? 0), 'a higher seq never carries an older value');
      assert.ok(Date.parse(current?.at ?? '') - Date.parse(previous?.at ?? '') >= 100, 'paced across processes');
    }
  });

  it('when a change is delivered twice, then watchers get one event', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    await redis.set(counter(productId), 3);
    feed.changed(productId, 3);
    await sleep(200);
    feed.changed(productId, 3);
    await sleep(400);
    assert.equal(sent.length, 1);
  });

  it('when the counter is not loaded, then the value the event carried is sent', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    feed.changed(productId, 5);
    await sleep(200);
    assert.equal(sent[0]?.event.stock, 5);
  });

  it('when the counter moves just after the event, then a second look sends the new value', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    await redis.set(counter(productId), 10);
    feed.changed(productId, 9);
    await sleep(60);
    await redis.set(counter(productId), 9);
    await sleep(400);
    assert.deepEqual(
      sent.map((entry) => entry.event.stock),
      [10, 9],
    );
  });

  it('when a publish fails, then the value is sent on a retry', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent, { failPublishes: 1 });
    const productId = randomUUID();
    await redis.set(counter(productId), 4);
    feed.changed(productId, 4);
    await sleep(400);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.event.stock, 4);
  });

  it('when the feed stops with a change pending, then the change is sent first', async () => {
    const sent: Sent[] = [];
    const feed = recordingFeed(redis, sent);
    const productId = randomUUID();
    await redis.set(counter(productId), 2);
    feed.changed(productId, 2);
    await feed.stop();
    assert.equal(sent[0]?.event.stock, 2);
    feed.changed(productId, 1);
    await sleep(100);
    assert.equal(sent.length, 1, 'nothing is taken after stop');
  });

  it('when asked for the last seq, then it is what was sent (0 for a product never sent)', async () => {
    const sent: Sent[] = [];
    const feed = newFeed(sent);
    const productId = randomUUID();
    feed.changed(productId, 8);
    await sleep(200);
    const seqs = await feed.lastSeq([productId, randomUUID()]);
    assert.deepEqual([...seqs.values()], [sent[0]?.event.seq, 0]);
  });
});
