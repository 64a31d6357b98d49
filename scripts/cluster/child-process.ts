import { spawn } from 'node:child_process';
import type { Logger } from '@chat/observability';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process is gone, however it ended. */
  readonly exited: Promise<Exit>;
  running(): boolean;
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts `command` with its stdout and stderr on ours (the services log JSON lines with their
 * pid; the cluster logs which pid is which). Not detached: a Ctrl-C in the terminal reaches
 * every child at once, and each drains as it would alone.
 */
export function spawnChild(options: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
}): Child {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    // A command that cannot be started at all (no such file) emits only 'error'.
    child.once('error', (error) => {
      if (child.pid !== undefined) return;
      running = false;
      options.logger.error({ err: error, child: options.name }, 'could not start a child process');
      resolve({ code: 127, signal: null });
    });
  });
  return {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    running: () => running,
    signal(signal) {
      if (running) child.kill(signal);
    },
  };
}

/**
 * Sends each running child SIGTERM and waits for all of them until `deadline` (a Date.now()
 * value); whoever is still there then gets SIGKILL. Resolves when all are gone.
 */
export async function stopChildren(children: Child[], deadline: number, logger: Logger) {
  const running = children.filter((child) => child.running());
  for (const child of running) child.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
  });
  const all = Promise.all(running.map((child) => child.exited));
  if ((await Promise.race([all, timedOut])) === 'timeout') {
    for (const child of running.filter((one) => one.running())) {
      logger.error({ child: child.name, pid: child.pid }, 'did not stop in time: SIGKILL');
      child.signal('SIGKILL');
    }
    await all;
  }
  clearTimeout(timer);
}

/**
 * Resolves once GET `url` answers 200; rejects when the child exits first or `timeoutMs` passes.
 */
export async function waitUntilAnswering(child: Child, url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void child.exited.then(() => (gone = true));
  for (;;) {
    if (gone) {
      const { code, signal } = await child.exited;
      throw new Error(
        `${child.name} exited (${signal ?? `code ${code}`}) before it answered on ${url}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`${child.name} did not answer on ${url} in time`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
