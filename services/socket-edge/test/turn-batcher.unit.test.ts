import { createTurnBatcher } from '../src/domain/turn-batcher';

describe('turn batcher', () => {
  const doubling = () => {
    const calls: string[][] = [];
    const load = (keys: string[]) => {
      calls.push(keys);
      return Promise.resolve(new Map(keys.map((key) => [key, key + key])));
    };
    return { calls, load };
  };

  it('when several keys are asked for in one turn, then one load gets each key once and every caller its value', async () => {
    const { calls, load } = doubling();
    const get = createTurnBatcher(load);

    const values = await Promise.all([get('a'), get('b'), get('a')]);

    expect(values).toEqual(['aa', 'bb', 'aa']);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('when keys are asked for in different turns, then each turn has a load of its own', async () => {
    const { calls, load } = doubling();
    const get = createTurnBatcher(load);

    expect(await get('a')).toBe('aa');
    expect(await get('b')).toBe('bb');
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('when a turn asks for more than maxBatch keys, then they are loaded in slices of maxBatch', async () => {
    const { calls, load } = doubling();
    const get = createTurnBatcher(load, { maxBatch: 2 });

    expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map(get))).toEqual([
      'aa',
      'bb',
      'cc',
      'dd',
      'ee',
    ]);
    expect(calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('when the load fails or misses a key, then exactly the callers of that batch get an error', async () => {
    const get = createTurnBatcher((keys: string[]) =>
      keys.includes('bad')
        ? Promise.reject(new Error('database down'))
        : Promise.resolve(new Map(keys.filter((key) => key !== 'missing').map((k) => [k, 1]))),
    );

    await expect(Promise.all([get('bad'), get('x')])).rejects.toThrow('database down');
    const [found, missing] = await Promise.allSettled([get('y'), get('missing')]);
    expect(found).toEqual({ status: 'fulfilled', value: 1 });
    expect(missing).toMatchObject({ status: 'rejected' });
  });
});
