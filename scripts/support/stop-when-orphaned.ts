import type { Logger } from '@chat/observability';

/**
 * npm does not pass SIGTERM on to the script it runs: `kill <npm pid>` ends npm and leaves this
 * process behind. When our parent goes away, shut down as if the signal had reached us. Often
 * it already has (a signal to the whole process group ends npm too): then this is a repeated
 * SIGTERM, which installShutdown logs and ignores while the drain goes on.
 */
export function stopWhenOrphaned(logger: Logger): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      logger.info({ parent }, 'parent process is gone; stopping');
      process.kill(process.pid, 'SIGTERM');
    }
  }, 500);
  timer.unref();
}
