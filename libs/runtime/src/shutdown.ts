import type { Logger } from '@chat/observability';

export interface Closable {
  close(): Promise<void>;
}

/**
 * Stops `target` on the first SIGTERM or SIGINT, exits 0 when it closed in time and 1 when
 * `timeoutMs` passed first or closing failed. Signals that come while closing are logged and
 * otherwise ignored: the listeners stay for the whole drain (`on`, not `once`), because a
 * signal with no listener gets Node's default handler, which kills the process mid-drain. Under
 * `npm start` a second SIGTERM is the rule, not the exception: a signal to the process group,
 * npm passing it on, and our own orphan check (scripts/start.ts) when npm is gone.
 */
export function installShutdown(target: Closable, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'already stopping; waiting for the drain to finish');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out, exiting anyway');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    // The timer goes once closing settled: exit happens now, and no stray exit(1) may follow
    // where exit does not end the process (a test).
    target.close().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
