/**
 * Runs tasks that share a key one after another, and tasks of different keys side by side.
 * Message-service holds many commands of a partition at once (prefetch) but must store the
 * messages of one conversation in the order the edge accepted them.
 */
export function createKeyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    get activeKeys(): number {
      return tails.size;
    },
  };
}
