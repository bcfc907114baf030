import { describe, expect, it } from 'vitest';
import { GroupCommitQueue } from './group-commit.queue';

interface Item {
  readonly run: string;
  readonly handset: number;
}

/** A queue whose commits wait until released, recording each group. */
function scriptedQueue(maxInFlight = 1) {
  const groups: Item[][] = [];
  const releases: (() => void)[] = [];
  const queue = new GroupCommitQueue<Item, string>({
    maxGroup: 3,
    maxInFlight,
    sameGroup: (first, item) => item.run === first.run,
    handsetOf: (item) => item.handset,
    commit: async (group) => {
      groups.push([...group]);
      await new Promise<void>((resolve) => releases.push(resolve));
      if (group.some((item) => item.handset < 0)) throw new Error('storage down');
      return group.map((item) => (item.handset === 13 ? new Error(`refused ${item.handset}`) : `${item.run}/${item.handset}`));
    },
  });
  const releaseAll = async () => {
    for (let i = 0; i < 10 && releases.length > 0; i++) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { queue, groups, releaseAll };
}

describe('GroupCommitQueue', () => {
  it('commits a lone request at once and groups the ones arriving meanwhile, one run and one per handset a group', async () => {
    const { queue, groups, releaseAll } = scriptedQueue();
    const answers = [
      { run: 'a', handset: 1 },
      { run: 'a', handset: 2 },
      { run: 'b', handset: 3 },
      { run: 'a', handset: 2 },
      { run: 'a', handset: 4 },
      { run: 'a', handset: 5 },
      { run: 'a', handset: 6 },
    ].map((item) => queue.submit(item));
    await releaseAll();
    await releaseAll();
    expect(await Promise.all(answers)).toEqual(['a/1', 'a/2', 'b/3', 'a/2', 'a/4', 'a/5', 'a/6']);
    expect(groups.map((group) => group.map((item) => `${item.run}/${item.handset}`))).toEqual([['a/1'], ['a/2', 'a/4', 'a/5'], ['b/3'], ['a/2', 'a/6']]);
  });

  it('refuses one request alone, and every request of a group whose commit failed', async () => {
    const { queue, releaseAll } = scriptedQueue(1);
    const settled = Promise.allSettled([
      queue.submit({ run: 'a', handset: 13 }),
      queue.submit({ run: 'b', handset: -1 }),
      queue.submit({ run: 'b', handset: 7 }),
      queue.submit({ run: 'a', handset: 8 }),
    ]);
    await releaseAll();
    await releaseAll();
    const [refused, lost, alsoLost, stored] = await settled;
    expect(refused).toMatchObject({ status: 'rejected', reason: new Error('refused 13') });
    expect(lost).toMatchObject({ status: 'rejected', reason: new Error('storage down') });
    expect(alsoLost).toMatchObject({ status: 'rejected', reason: new Error('storage down') });
    expect(stored).toEqual({ status: 'fulfilled', value: 'a/8' });
  });
});
