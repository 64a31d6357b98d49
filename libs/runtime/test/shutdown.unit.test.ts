import { ConfigError } from '@chat/config';
import { createLogger } from '@chat/observability';
import { exitOnStartupError, installShutdown } from '@chat/runtime';

const logger = createLogger({ service: 'test', level: 'silent' });

/** process.exit, recorded instead of ending Jest; resolves with the first exit code. */
function recordExit() {
  let exited: (code: number) => void = () => undefined;
  const code = new Promise<number>((resolve) => (exited = resolve));
  const exit = jest.spyOn(process, 'exit').mockImplementation(((value?: number) => {
    exited(value ?? 0);
    return undefined as never;
  }) as typeof process.exit);
  return { code, exit };
}

describe('installShutdown', () => {
  let before: { SIGTERM: NodeJS.SignalsListener[]; SIGINT: NodeJS.SignalsListener[] };

  beforeEach(() => {
    before = {
      SIGTERM: process.listeners('SIGTERM') as NodeJS.SignalsListener[],
      SIGINT: process.listeners('SIGINT') as NodeJS.SignalsListener[],
    };
  });

  afterEach(() => {
    // Only the listeners a test installed go: Jest's own stay.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const listener of process.listeners(signal)) {
        if (!before[signal].includes(listener as NodeJS.SignalsListener)) {
          process.removeListener(signal, listener);
        }
      }
    }
    jest.restoreAllMocks();
  });

  it('when SIGTERM comes twice, then the target is closed once and the process exits 0', async () => {
    const { code } = recordExit();
    let closes = 0;
    installShutdown({ close: async () => void closes++ }, logger, 5_000);

    process.emit('SIGTERM');
    process.emit('SIGINT');

    expect(await code).toBe(0);
    expect(closes).toBe(1);
  });

  it('when closing fails, then the process exits 1', async () => {
    const { code } = recordExit();
    installShutdown({ close: () => Promise.reject(new Error('would not close')) }, logger, 5_000);

    process.emit('SIGINT');

    expect(await code).toBe(1);
  });

  it('when closing outlasts the timeout, then the process exits 1 without waiting for it', async () => {
    const { code } = recordExit();
    installShutdown({ close: () => new Promise<void>(() => undefined) }, logger, 20);

    process.emit('SIGTERM');

    expect(await code).toBe(1);
  });
});

describe('exitOnStartupError', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when start-up fails, then one line names the service and the cause, and the process exits 1', () => {
    const { exit } = recordExit();
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    exitOnStartupError('history-service')(new Error('PostgreSQL is not reachable at db:5432'));

    expect(printed.mock.calls).toEqual([
      ['history-service could not start. PostgreSQL is not reachable at db:5432'],
    ]);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when the config is invalid, then the line is the config error’s own message', () => {
    recordExit();
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const error = new ConfigError([{ env: 'PORT', message: 'must be a port number' }]);

    exitOnStartupError('socket-edge')(error);

    expect(printed.mock.calls).toEqual([[`socket-edge could not start. ${error.message}`]]);
  });
});
