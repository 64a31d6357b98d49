import { createCloser } from '@chat/runtime';

describe('createCloser', () => {
  const resource = (name: string, closed: string[], fails = false) => ({
    async close() {
      closed.push(name);
      if (fails) throw new Error(`${name} would not close`);
    },
  });

  it('when everything closes, then it closes last opened first, each once, however often it is called', async () => {
    const closed: string[] = [];
    const closer = createCloser();
    closer.add(resource('db', closed));
    closer.add(resource('broker', closed));
    closer.add(resource('server', closed));

    await Promise.all([closer.close(), closer.close()]);

    expect(closed).toEqual(['server', 'broker', 'db']);
  });

  it('when some fail to close, then the rest are still closed and every failure is reported together', async () => {
    const closed: string[] = [];
    const closer = createCloser();
    closer.add(resource('db', closed, true));
    closer.add(resource('broker', closed));
    closer.add(resource('server', closed, true));

    const error: unknown = await closer.close().then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(closed).toEqual(['server', 'broker', 'db']);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      'server would not close',
      'db would not close',
    ]);
  });

  it('when a close throws before returning a promise, then the others are still closed and its error is reported', async () => {
    const closed: string[] = [];
    const closer = createCloser();
    closer.add(resource('db', closed));
    closer.add({
      close(): Promise<void> {
        throw new Error('server threw at once');
      },
    });

    const error: unknown = await closer.close().then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(closed).toEqual(['db']);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      'server threw at once',
    ]);
  });

  it('when a resource is added while closing, then it is closed too', async () => {
    const closed: string[] = [];
    const closer = createCloser();
    closer.add({
      async close() {
        closed.push('first');
        closer.add(resource('late', closed));
      },
    });

    await closer.close();

    expect(closed).toEqual(['first', 'late']);
  });
});
