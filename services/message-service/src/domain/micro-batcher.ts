/**
 * What a batch run hands back: one promise per item, settled when that item is done. `run`
 * itself resolves as soon as the next batch may start, which can be before the items are done
 * (message-service starts storing the next batch while the broker confirms this one's
 * deliveries).
 */
export type BatchRun<T, R> = (items: T[]) => Promise<Promise<R>[]>;

export interface MicroBatcher<T, R> {
  /** Adds an item to the next batch; settles as its promise from `run` does. */
  submit(item: T): Promise<R>;
  /** Items waiting for the next batch or in the one running. */
  readonly size: number;
}

interface Entry<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs items in batches, one batch at a time and in submission order. A batch holds what was
 * submitted during the previous one (at most `maxBatch`): it is one item when the system is
 * quiet, and grows with the load, so the cost of a round trip is shared by more items exactly
 * when that pays, without a timer that would add latency when it does not.
 */
export function createMicroBatcher<T, R>(
  run: BatchRun<T, R>,
  options: { maxBatch: number },
): MicroBatcher<T, R> {
  let waiting: Entry<T, R>[] = [];
  let inBatch = 0;
  let running = false;

  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, options.maxBatch);
      waiting = waiting.slice(batch.length);
      inBatch = batch.length;
      try {
        const done = await run(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => {
          const result = done[index];
          if (result) result.then(entry.resolve, entry.reject);
          else entry.reject(new Error('batch run returned no result for an item'));
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      inBatch = 0;
    }
    running = false;
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (running) return;
        running = true;
        // Everything that arrives in this turn of the event loop joins the first batch.
        setImmediate(() => void drain());
      });
    },
    get size() {
      return waiting.length + inBatch;
    },
  };
}
