import type { Logger } from '@chat/observability';

/**
 * When our parent goes away, shut down as if SIGTERM had reached us. Under `npm start` the
 * parent is npm itself (the script line `exec`s node, so no shell stands between): npm passes
 * SIGTERM and SIGINT on and waits for us, but an npm killed outright (SIGKILL, a crashed
 * terminal) would leave this process behind. If a signal already reached us, this is a
 * repeated SIGTERM, which installShutdown logs and ignores while the drain goes on.
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
