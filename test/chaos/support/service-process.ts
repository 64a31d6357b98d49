import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
/** What a process keeps of its own output for failure messages; the log file has it all. */
const TAIL_CHARS = 64 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly startedAt: number;
  /** Settles when the process is gone. */
  readonly exited: Promise<ProcessExit>;
  readonly running: boolean;
  signal(signal: NodeJS.Signals): void;
  /** The last part of its output (stdout and stderr, as written). */
  output(): string;
  /** How many characters it has written so far (an offset for `waitForOutput`). */
  readonly written: number;
  /**
   * Resolves once its output (from `fromOffset` on, default all) matches `pattern`; rejects
   * when it exits first or `timeoutMs` passes.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number, fromOffset?: number): Promise<void>;
}

/**
 * Runs `node --import tsx <script>` from the repository root with exactly `env` (plus PATH),
 * its output appended to `logFile`, as the composition roots run in production.
 */
export function spawnService(options: {
  name: string;
  script: string;
  env: Record<string, string>;
  logFile: string;
}): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', options.script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const startedAt = Date.now();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  log.write(
    `\n=== ${new Date(startedAt).toISOString()} ${options.name} started (pid ${child.pid})\n`,
  );
  let tail = '';
  let written = 0;
  const listeners = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString();
    written += text.length;
    tail = (tail + text).slice(-TAIL_CHARS);
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  let running = true;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      const exit = { code, signal, at: Date.now() };
      log.end(`=== ${options.name} exited (code ${code}, signal ${signal})\n`);
      for (const listener of listeners) listener();
      resolve(exit);
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);

  return {
    name: options.name,
    pid: child.pid,
    startedAt,
    exited,
    get running() {
      return running;
    },
    signal(signal) {
      if (running) child.kill(signal);
    },
    output: () => tail,
    get written() {
      return written;
    },
    waitForOutput(pattern, timeoutMs, fromOffset = 0) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(tail.slice(Math.max(0, tail.length - (written - fromOffset))))) done();
          else if (!running) done(new Error(`${options.name} exited before printing ${pattern}`));
        };
        const timer = setTimeout(
          () => done(new Error(`${options.name} did not print ${pattern} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
}
