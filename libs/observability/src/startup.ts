import { ConfigError } from '@chat/config';

/**
 * Ends a process whose start failed with one clear line on stderr — the variable that is wrong,
 * or the dependency that did not answer — instead of a stack trace.
 */
export function exitOnStartupError(service: string) {
  return (error: unknown): never => {
    const detail = error instanceof ConfigError ? error.message : (error as Error)?.message;
    console.error(`${service} could not start. ${detail ?? String(error)}`);
    process.exit(1);
  };
}

/**
 * Closes what was opened, last first, each once; safe to call twice. One that fails does not
 * keep the rest open: every resource is closed, then the failures are reported together (an
 * AggregateError, so shutdown logs each and exits 1).
 */
export function createCloser() {
  const stack: (() => Promise<unknown>)[] = [];
  let closing: Promise<void> | undefined;
  return {
    add<T extends { close(): Promise<unknown> }>(resource: T): T {
      stack.push(() => resource.close());
      return resource;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const failures: unknown[] = [];
        while (stack.length > 0) {
          await stack.pop()!().catch((error: unknown) => failures.push(error));
        }
        if (failures.length > 0) {
          throw new AggregateError(failures, `${failures.length} resource(s) failed to close`);
        }
      })();
      return closing;
    },
  };
}
