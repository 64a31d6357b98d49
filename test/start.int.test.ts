import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { DEV_JWT_SECRET } from '@chat/config';
import { topologyNames } from '@chat/contracts';
import { queueCounts, testNamespace, testServiceUrls } from '@chat/testing';

const root = join(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const spawned: { child: ChildProcess; group: boolean; ended: () => boolean }[] = [];

/**
 * Runs what `npm start` runs (or `npm start` itself, as the leader of a process group of its
 * own, or another entry point such as a service's main.ts), with `env` on top of this run's
 * service URLs.
 */
function startProcess(
  env: Record<string, string>,
  options: { viaNpm?: boolean; script?: string } = {},
) {
  const urls = testServiceUrls();
  const namespace = testNamespace('start');
  const [command, args] = options.viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['--import', 'tsx', options.script ?? 'scripts/start.ts']];
  const child = spawn(command, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...(options.viaNpm && { HOME: process.env.HOME }),
      DATABASE_URL: urls.databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_NAMESPACE: namespace,
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      // An ops server on a port of its own, so processes never meet on 3007.
      OPS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.viaNpm ?? false,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Closed when every process writing to it is gone: under npm, the service outlives npm.
  let ended = false;
  const outputEnded = once(child.stdout, 'close').then(() => {
    ended = true;
  });
  spawned.push({ child, group: options.viaNpm ?? false, ended: () => ended });
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline || ended || (!options.viaNpm && child.exitCode !== null)) {
        throw new Error(`never printed ${pattern}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, exited, outputEnded, waitFor, output: () => output };
}

/** A request whose headers never end: the HTTP server, and so the drain, waits for it. */
async function holdRequestOpen(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
  return socket;
}

afterEach(() => {
  // Whatever a failed test left running, by the ids this file started.
  for (const { child, group, ended } of spawned.splice(0)) {
    if (ended() || child.pid === undefined) continue;
    try {
      process.kill(group ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

describe('npm start', () => {
  it('when started, then Socket.IO and REST answer on CHAT_SERVICE_PORT, /metrics (all three services in one registry) and readiness detail on OPS_PORT only, and SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const opsPort = await freePort();
    const started = startProcess({
      CHAT_SERVICE_PORT: String(port),
      MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()),
      OPS_PORT: String(opsPort),
      LOG_LEVEL: 'info',
    });
    await started.waitFor(/TutorGo chat is up/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    // Loopback only by default (CHAT_SERVICE_HOST=127.0.0.1): another address finds no one.
    await expect(fetch(`http://127.0.0.2:${port}/healthz`)).rejects.toThrow();
    // Without JWT_SECRET it runs on the public development secret, and says so loudly.
    expect(started.output()).toMatch(
      /"level":40,.*using the PUBLIC development secret\. Anyone can forge a token for any user with it; it is accepted only because NODE_ENV=development and the server listens on loopback/,
    );
    const socketIo = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
    expect(socketIo.status).toBe(200);
    expect(await socketIo.text()).toMatch(/"sid"/);
    const unauthenticated = await fetch(`http://127.0.0.1:${port}/chat/conversations/someone`);
    expect(unauthenticated.status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);
    const detail = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect([detail.status, await detail.json()]).toMatchObject([
      200,
      {
        status: 'ok',
        services: {
          'socket-edge': { checks: { postgres: {}, redis: {}, rabbitmq: {} } },
          'message-service': { checks: { postgres: {}, rabbitmq: {} } },
          'history-service': { checks: { postgres: {}, redis: {} } },
        },
      },
    ]);
    // The ops server is on loopback (OPS_HOST=127.0.0.1) too.
    await expect(fetch(`http://127.0.0.2:${opsPort}/metrics`)).rejects.toThrow();
    const metrics = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    for (const name of [
      'process_cpu_user_seconds_total', // process metrics, once
      'chat_sockets_connected', // socket-edge
      'chat_messages_stored_total', // message-service
      'http_request_duration_seconds', // history-service
    ]) {
      expect(text.match(new RegExp(`^# TYPE ${name} `, 'gm'))).toHaveLength(1);
    }

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.output()).toMatch(/"msg":"stopped"/);
  }, 60_000);

  it('when SIGTERM comes again while it drains, then it logs that it is already stopping, finishes the drain and exits 0', async () => {
    const port = await freePort();
    const started = startProcess({
      CHAT_SERVICE_PORT: String(port),
      MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()),
    });
    await started.waitFor(/TutorGo chat is up/);
    const held = await holdRequestOpen(port);

    started.child.kill('SIGTERM');
    await started.waitFor(/"msg":"shutting down"/);
    started.child.kill('SIGTERM');
    started.child.kill('SIGINT');
    await started.waitFor(/"signal":"SIGINT","msg":"already stopping/);
    held.destroy();

    expect(await started.exited).toBe(0);
    expect(started.output()).toMatch(/"signal":"SIGTERM","msg":"already stopping/);
    expect(started.output()).toMatch(/"msg":"stopped"/);
  }, 60_000);

  it.each([
    ['Ctrl-C (SIGINT to its process group)', 'SIGINT', true],
    ['SIGTERM to npm alone', 'SIGTERM', false],
  ] as const)(
    'when npm start gets %s, then npm returns only after the services stopped, with exit code 0',
    async (_how, signal, toGroup) => {
      const port = await freePort();
      const started = startProcess(
        { CHAT_SERVICE_PORT: String(port), MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()) },
        { viaNpm: true },
      );
      await started.waitFor(/TutorGo chat is up/, 45_000);
      const held = await holdRequestOpen(port);

      process.kill(toGroup ? -started.child.pid! : started.child.pid!, signal);
      await started.waitFor(/"msg":"shutting down"/);
      // The drain waits for the held request, so the services are still stopping: npm too.
      expect([started.child.exitCode, started.child.signalCode]).toEqual([null, null]);
      held.destroy();

      expect(await started.exited).toBe(0);
      // "stopped" is the last line before process.exit(0): written before npm returned.
      expect(started.output()).toMatch(/"msg":"stopped"/);
      expect(started.output()).not.toMatch(/shutdown timed out|shutdown failed|npm error/);
    },
    90_000,
  );

  it('when npm itself is killed outright, then the orphan check stops the services cleanly', async () => {
    const port = await freePort();
    const started = startProcess(
      { CHAT_SERVICE_PORT: String(port), MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()) },
      { viaNpm: true },
    );
    await started.waitFor(/TutorGo chat is up/, 45_000);

    process.kill(started.child.pid!, 'SIGKILL');
    await started.exited;
    await started.waitFor(/"msg":"parent process is gone; stopping"/);
    await started.outputEnded;
    expect(started.output()).toMatch(/"msg":"stopped"/);
    expect(started.output()).not.toMatch(/shutdown timed out|shutdown failed/);
  }, 90_000);

  it('when DATABASE_URL points nowhere, then it stops with a message naming PostgreSQL instead of hanging', async () => {
    const started = startProcess({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(
      /could not start\. PostgreSQL is not reachable at 127\.0\.0\.1:1\/nowhere/,
    );
    expect(started.output()).not.toMatch(/\n\s+at /); // no stack trace
  }, 30_000);

  it.each([
    [
      'listening on another interface',
      { CHAT_SERVICE_HOST: '0.0.0.0' },
      /when listening on 0\.0\.0\.0/,
    ],
    ['in test mode', { NODE_ENV: 'test' }, /with NODE_ENV=test/],
    ['in production', { NODE_ENV: 'production' }, /with NODE_ENV=production/],
  ])(
    'when JWT_SECRET is unset %s, then it does not fall back to the development secret: it stops naming JWT_SECRET',
    async (_when, env, why) => {
      const started = startProcess(env);
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(/tutorgo-chat could not start\. Invalid configuration:/);
      expect(started.output()).toMatch(new RegExp(`JWT_SECRET: is required ${why.source}`));
      expect(started.output()).not.toMatch(/TutorGo chat is up/);
    },
    30_000,
  );

  it.each([
    ['npm start', 'scripts/start.ts', 'tutorgo-chat'],
    ['socket-edge', 'services/socket-edge/src/main.ts', 'socket-edge'],
    ['history-service', 'services/history-service/src/main.ts', 'history-service'],
  ])(
    'when %s runs with NODE_ENV=production and the public development secret, then it refuses to start naming JWT_SECRET',
    async (_name, script, service) => {
      const started = startProcess(
        { NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET },
        { script },
      );
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(
        new RegExp(
          `${service} could not start\\. Invalid configuration:\\s+- JWT_SECRET: is the public development secret, which must never be used with NODE_ENV=production`,
        ),
      );
    },
    30_000,
  );

  it('when its port is taken (a second npm start), then it stops naming CHAT_SERVICE_PORT before declaring a queue or consuming', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    const namespace = testNamespace('busyport');
    try {
      const started = startProcess({ CHAT_SERVICE_PORT: String(port), CHAT_NAMESPACE: namespace });
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(
        new RegExp(`CHAT_SERVICE_PORT: port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\)`),
      );
      const [sendQueue] = await queueCounts(testServiceUrls().rabbitmqUrl, [
        topologyNames(namespace).sendQueue(0),
      ]);
      expect(sendQueue?.messageCount).toBeUndefined(); // never declared
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 30_000);

  it('when a variable is invalid, then it stops with a message naming the variable', async () => {
    const started = startProcess({ CHAT_SERVICE_PORT: 'not-a-port', REDIS_URL: 'http://wrong' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/CHAT_SERVICE_PORT: must be a port number/);
    expect(started.output()).toMatch(
      /REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\//,
    );
  }, 30_000);
});
