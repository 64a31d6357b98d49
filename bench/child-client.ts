import type { ChildProcess } from 'node:child_process';

/** What a client child process reports when it cannot go on. */
export interface ChildFailure {
  type: 'failed';
  message: string;
}

/**
 * Sends a command to a client child process (load generator, idle sockets) and resolves with
 * its next report, or with a failure report when it exits first.
 */
export function askChild<Report extends { type: string }>(
  child: ChildProcess,
  command: unknown,
): Promise<Report | ChildFailure> {
  return new Promise((resolve) => {
    const onMessage = (report: Report) => {
      child.off('exit', onExit);
      resolve(report);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      resolve({ type: 'failed', message: `exited with ${code}` });
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(command as Parameters<ChildProcess['send']>[0]);
  });
}
