import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, testNamespace, testServiceUrls } from '@chat/testing';

const root = join(__dirname, '..', '..', '..');

export interface ChatProcess {
  /** http://127.0.0.1:<port>: Socket.IO, REST and the demo page. */
  readonly baseUrl: string;
  readonly namespace: string;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`, default 20 s). */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * The whole chat as `npm start` runs it (scripts/start.ts: the three services in one process,
 * on the public development secret, demo page on), on free ports, in this run's database and a
 * namespace of its own, against the real PostgreSQL, Redis and RabbitMQ. Resolves once it
 * says it is up; its output goes to `logFile`.
 */
export async function startChatProcess(options: {
  label: string;
  logFile: string;
}): Promise<ChatProcess> {
  const urls = testServiceUrls();
  const namespace = testNamespace(options.label);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    // Only what it needs: Jest's NODE_ENV=test and any JWT_SECRET of the caller must not leak in.
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATABASE_URL: urls.databaseUrl,
      REDIS_URL: urls.redisUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_NAMESPACE: namespace,
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      CHAT_SERVICE_PORT: String(port),
      MESSAGE_SERVICE_HEALTH_PORT: String(await freePort()),
      OPS_PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile);
  let output = '';
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    if (output.length < 200_000) output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = once(child, 'exit');

  const up = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start was not up within 60 s:\n${output}`)),
      60_000,
    );
    const check = () => {
      if (!/TutorGo chat is up/.test(output)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve();
    };
    child.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before it was up:\n${output}`));
    });
  });

  const stop = async (timeoutMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(killer);
    }
    await new Promise<void>((resolve) => log.end(resolve));
  };

  try {
    await up;
  } catch (error) {
    await stop(5000);
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${port}`, namespace, stop };
}
