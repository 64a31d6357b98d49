import { createKeyedSerializer } from '../src/domain/keyed-serializer';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keyed serializer', () => {
  it('when tasks share a key, then they run one after another in submission order, even when one fails', async () => {
    const serializer = createKeyedSerializer();
    const log: string[] = [];
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const results = await Promise.allSettled([
      serializer.run('k', task('a', 30)),
      serializer.run('k', task('b', 1, true)),
      serializer.run('k', task('c', 1)),
    ]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await tick(0);
    expect(serializer.activeKeys).toBe(0);
  });

  it('when tasks have different keys, then they overlap', async () => {
    const serializer = createKeyedSerializer();
    const log: string[] = [];
    await Promise.all([
      serializer.run('x', async () => {
        log.push('x start');
        await tick(20);
        log.push('x end');
      }),
      serializer.run('y', async () => {
        log.push('y start');
        await tick(1);
        log.push('y end');
      }),
    ]);
    expect(log).toEqual(['x start', 'y start', 'y end', 'x end']);
  });
});
