import type { Logger } from './logger';

export interface Closable {
  close(): Promise<void>;
}

/**
 * Stops `target` once on the first SIGTERM or SIGINT, exits 0 when it closed in time and 1 when
 * `timeoutMs` passed first or closing failed. A second signal while closing is ignored.
 */
export function installShutdown(target: Closable, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out, exiting anyway');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    target.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
