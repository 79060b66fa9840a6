import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allFulfilled, createGroupCommit } from './group-commit.js';

/** A commit whose writes finish only when the test says so, recording every batch it was given. */
function controlledCommit() {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  const commit = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<PromiseSettledResult<number>[]>((resolve) => {
      finishers.push(() => resolve(allFulfilled(items.map((item) => item * 10))));
    });
  };
  const finishNext = async () => {
    while (finishers.length === 0) await new Promise((done) => setImmediate(done));
    finishers.shift()?.();
  };
  return { batches, commit, finishNext };
}

describe('group commit', () => {
  it('when items arrive while a batch is being written, then they go together in the next batch', async () => {
    const { batches, commit, finishNext } = controlledCommit();
    const group = createGroupCommit({ maxBatch: 100, commit });
    const first = group.add(1);
    await new Promise((done) => setImmediate(done));
    const later = [2, 3, 4].map((item) => group.add(item));
    assert.equal(group.pending, 4);
    await finishNext();
    await finishNext();
    assert.deepEqual(await Promise.all([first, ...later]), [10, 20, 30, 40]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    assert.equal(group.pending, 0);
  });

  it('when more items wait than a batch holds, then they are written in batches of at most maxBatch, in order', async () => {
    const { batches, commit, finishNext } = controlledCommit();
    const group = createGroupCommit({ maxBatch: 2, commit });
    const all = Promise.all([1, 2, 3, 4, 5].map((item) => group.add(item)));
    for (let batch = 0; batch < 3; batch++) await finishNext();
    assert.deepEqual(await all, [10, 20, 30, 40, 50]);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
  });

  it('when one item of a batch fails, then only that item rejects; when commit throws, the whole batch does', async () => {
    const group = createGroupCommit<number, number>({
      maxBatch: 10,
      commit: (items) => {
        if (items.includes(0)) return Promise.reject(new Error('database away'));
        return Promise.resolve(
          items.map((item) =>
            item < 0
              ? { status: 'rejected', reason: new Error(`refused ${item}`) }
              : { status: 'fulfilled', value: item },
          ),
        );
      },
    });
    const outcomes = await Promise.allSettled([group.add(1), group.add(-2), group.add(3)]);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason))),
      [1, 'Error: refused -2', 3],
    );
    const failed = await Promise.allSettled([group.add(0), group.add(5)]);
    assert.deepEqual(
      failed.map((outcome) => outcome.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await group.add(6), 6, 'a failed batch does not stop the next one');
  });

  it('when drained, then it resolves only after every item handed in is written', async () => {
    const { commit, finishNext } = controlledCommit();
    const group = createGroupCommit({ maxBatch: 1, commit });
    const written: number[] = [];
    for (const item of [1, 2, 3]) void group.add(item).then((value) => written.push(value));
    const drained = group.drain().then(() => [...written]);
    for (let batch = 0; batch < 3; batch++) await finishNext();
    assert.deepEqual(await drained, [10, 20, 30]);
  });
});
