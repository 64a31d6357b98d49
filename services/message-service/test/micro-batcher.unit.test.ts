import { createMicroBatcher } from '../src/domain/micro-batcher';

describe('micro-batcher', () => {
  it('when items arrive while a batch runs, then they form the next batch, batches run one at a time in order, and each item gets its own result', async () => {
    const batches: number[][] = [];
    let running = 0;
    let overlapped = false;
    let release: () => void = () => undefined;
    const batcher = createMicroBatcher<number, string>(
      async (items) => {
        overlapped ||= running > 0;
        running++;
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        running--;
        return items.map((item) => Promise.resolve(`done ${item}`));
      },
      { maxBatch: 2 },
    );

    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((item) => batcher.submit(item));
    expect(batcher.size).toBe(4);
    release();

    expect(await Promise.all([first, ...later])).toEqual(['done 1', 'done 2', 'done 3', 'done 4']);
    expect(batches).toEqual([[1], [2, 3], [4]]);
    expect(overlapped).toBe(false);
    expect(batcher.size).toBe(0);
  });

  it('when a batch run throws, then its items reject and the next batch still runs', async () => {
    const batcher = createMicroBatcher<number, number>(
      async (items) => {
        if (items.includes(1)) throw new Error('store failed');
        return items.map((item) => Promise.resolve(item));
      },
      { maxBatch: 1 },
    );
    const [failed, next] = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'store failed' } });
    expect(next).toEqual({ status: 'fulfilled', value: 2 });
  });
});
