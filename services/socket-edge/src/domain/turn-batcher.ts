/**
 * Gathers the keys asked for during one turn of the event loop and loads them with one call
 * (DataLoader's batching, without its cache): the sockets that connect in the same turn share
 * one database query instead of one each. The batch leaves at `setImmediate`, right after the
 * I/O that produced it, so a lone call waits well under a millisecond.
 */
export function createTurnBatcher<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
  options: {
    /** Most keys one `load` gets; a larger turn is split into several calls. Default 500. */
    maxBatch?: number;
  } = {},
): (key: K) => Promise<V> {
  const maxBatch = Math.max(1, options.maxBatch ?? 500);
  let pending = new Map<K, { resolve: (value: V) => void; reject: (error: unknown) => void }[]>();

  const flush = () => {
    const batch = pending;
    pending = new Map();
    const keys = [...batch.keys()];
    for (let start = 0; start < keys.length; start += maxBatch) {
      const slice = keys.slice(start, start + maxBatch);
      load(slice).then(
        (values) => {
          for (const key of slice) {
            const waiters = batch.get(key)!;
            if (values.has(key)) for (const waiter of waiters) waiter.resolve(values.get(key)!);
            else for (const waiter of waiters) waiter.reject(new Error('batch load missed a key'));
          }
        },
        (error: unknown) => {
          for (const key of slice) for (const waiter of batch.get(key)!) waiter.reject(error);
        },
      );
    }
  };

  return (key) =>
    new Promise<V>((resolve, reject) => {
      if (pending.size === 0) setImmediate(flush);
      const waiters = pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(key, [{ resolve, reject }]);
    });
}
