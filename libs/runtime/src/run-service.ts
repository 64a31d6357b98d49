import type { Logger } from '@chat/observability';
import { createCloser, type Closer } from './closer';
import { installShutdown } from './shutdown';
import { exitOnStartupError } from './startup-error';

export interface Started {
  logger: Logger;
  shutdownTimeoutMs: number;
}

/**
 * The frame of every composition root: `start` opens what the process needs, registering each
 * resource with the closer in start-up order; shutdown then closes them last first. A failed
 * start closes what was opened and exits with one line naming the cause.
 */
export function runService(name: string, start: (closer: Closer) => Promise<Started>): void {
  const closer = createCloser();
  start(closer).then(
    ({ logger, shutdownTimeoutMs }) => installShutdown(closer, logger, shutdownTimeoutMs),
    async (error: unknown) => {
      await closer.close().catch(() => undefined);
      exitOnStartupError(name)(error);
    },
  );
}
