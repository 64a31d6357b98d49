import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testNamespace, testServiceUrls } from '@chat/testing';

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

/** Runs what `npm start` runs, with `env` on top of this run's service URLs. */
function startProcess(env: Record<string, string>) {
  const urls = testServiceUrls();
  const namespace = testNamespace('start');
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: urls.databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_NAMESPACE: namespace,
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`never printed ${pattern}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, exited, waitFor, output: () => output };
}

describe('npm start', () => {
  it('when started, then Socket.IO, REST and /metrics (all three services in one registry) answer on CHAT_SERVICE_PORT, and SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const started = startProcess({
      CHAT_SERVICE_PORT: String(port),
      MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    await started.waitFor(/TutorGo chat is up/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const socketIo = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`);
    expect(socketIo.status).toBe(200);
    expect(await socketIo.text()).toMatch(/"sid"/);
    const unauthenticated = await fetch(`http://127.0.0.1:${port}/chat/conversations/someone`);
    expect(unauthenticated.status).toBe(401);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
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

  it('when DATABASE_URL points nowhere, then it stops with a message naming PostgreSQL instead of hanging', async () => {
    const started = startProcess({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(
      /could not start\. PostgreSQL is not reachable at 127\.0\.0\.1:1\/nowhere/,
    );
    expect(started.output()).not.toMatch(/\n\s+at /); // no stack trace
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
