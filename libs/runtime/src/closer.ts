import type { Closable } from './shutdown';

/** Where each opened resource is registered so that shutdown closes it (see createCloser). */
export interface Closer {
  add<T extends { close(): Promise<unknown> }>(resource: T): T;
}

/**
 * Closes what was opened, last first, each once; safe to call twice. One that fails does not
 * keep the rest open: every resource is closed, then the failures are reported together (an
 * AggregateError, so shutdown logs each and exits 1).
 */
export function createCloser(): Closer & Closable {
  const stack: (() => Promise<unknown>)[] = [];
  let closing: Promise<void> | undefined;
  return {
    add(resource) {
      stack.push(() => resource.close());
      return resource;
    },
    close() {
      closing ??= (async () => {
        const failures: unknown[] = [];
        for (let close = stack.pop(); close; close = stack.pop()) {
          // try/await, not .catch(): a close() that throws before returning a promise must not
          // leave the rest open either.
          try {
            await close();
          } catch (error) {
            failures.push(error);
          }
        }
        if (failures.length > 0) {
          throw new AggregateError(failures, `${failures.length} resource(s) failed to close`);
        }
      })();
      return closing;
    },
  };
}
