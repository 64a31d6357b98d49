import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topologyNames } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { createRedis, deleteKeysWithPrefix, type RedisClient } from '@chat/redis';
import {
  createScratchDatabase,
  createTcpProxy,
  deleteRabbitObjectsWithPrefix,
  TEST_JWT_SECRET,
  testNamespace,
  testServiceUrls,
  type ScratchDatabase,
  type TcpProxy,
} from '@chat/testing';
import { spawnService, type ProcessExit, type ServiceProcess } from './service-process';

export type Dependency = 'postgres' | 'rabbitmq' | 'redis';

/**
 * - `combined`: `scripts/start.ts`, all three services in one process, as `npm start` runs them;
 * - `split`: one process per service (`services/<name>/src/main.ts`), so one can be killed alone.
 */
export type Layout = 'combined' | 'split';

/** The first message-service is `message-service`, the others `message-service#1`, `#2`, …. */
export type MessageServiceName = 'message-service' | `message-service#${number}`;

export type ServiceName = 'chat' | 'socket-edge' | MessageServiceName | 'history-service';

export interface ChaosSystem {
  readonly layout: Layout;
  readonly namespace: string;
  readonly database: ScratchDatabase;
  /** Where clients connect Socket.IO. */
  readonly socketUrl: string;
  /** Where clients read history (`/chat/messages/...`). */
  readonly historyUrl: string;
  /** Every connection the services make to each dependency goes through its proxy. */
  readonly proxies: Readonly<Record<Dependency, TcpProxy>>;
  /** The test's own connections, straight to the servers: the truth, never cut. */
  readonly db: Db;
  readonly redis: RedisClient;
  readonly rabbitmqUrl: string;
  readonly partitions: number;
  /** Where the services' output goes (JSON lines, LOG_LEVEL info). */
  readonly logFile: string;
  readonly services: readonly ServiceName[];
  /** The message-service processes of the split layout, first to last (none when combined). */
  readonly messageServices: readonly MessageServiceName[];
  process(name: ServiceName): ServiceProcess;
  /** Where the service's internal ops server (/metrics, detailed /readyz) listens. */
  opsUrl(name: ServiceName): string;
  /** Starts the named services (default all, again if they ran before); resolves once each answers /readyz. */
  start(names?: readonly ServiceName[]): Promise<void>;
  /** Sends `signal` to the service and resolves when it is gone. */
  stop(name: ServiceName, signal: NodeJS.Signals): Promise<ProcessExit>;
  /** Stops every service, closes the proxies and connections, deletes what the namespace left. */
  close(): Promise<void>;
}

export interface ChaosSystemOptions {
  label: string;
  layout: Layout;
  /** Variables on top of the defaults, for every service. */
  env?: Record<string, string>;
  /**
   * message-service processes in the split layout (default 1), each with ports of its own and
   * the same namespace and database: they share the send partitions (partition-leases.ts).
   */
  messageServices?: number;
}

interface ServiceSpec {
  script: string;
  env: Record<string, string>;
  readyUrls: string[];
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const testLogger = createLogger({ service: 'chaos-test', level: 'silent' });

/**
 * The real system as child processes, in a database and a namespace of its own, with its
 * PostgreSQL, RabbitMQ and Redis connections going through TCP proxies the test cuts.
 */
export async function startChaosSystem(options: ChaosSystemOptions): Promise<ChaosSystem> {
  const urls = testServiceUrls();
  const namespace = testNamespace(options.label);
  const names = topologyNames(namespace);
  const partitions = Number(options.env?.CHAT_PARTITIONS ?? 8);
  const logDir = mkdtempSync(join(tmpdir(), `chaos-${namespace}-`));
  const logFile = join(logDir, 'services.log');
  const cleanups: (() => Promise<unknown>)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) =>
        console.error(`chaos cleanup failed: ${(error as Error).message}`),
      );
    }
  };

  try {
    const rabbitTarget = new URL(urls.rabbitmqUrl);
    cleanups.push(() => deleteRabbitObjectsWithPrefix(urls.rabbitmqUrl, `${namespace}.`));
    const redisTarget = new URL(urls.redisUrl);
    cleanups.push(() => deleteRedisKeys(urls.redisUrl, `${namespace}:`));
    const database = await createScratchDatabase(options.label);
    cleanups.push(() => database.drop());
    const pgTarget = new URL(database.url);

    const proxies = {
      postgres: await createTcpProxy(pgTarget.hostname, Number(pgTarget.port || 5432)),
      rabbitmq: await createTcpProxy(rabbitTarget.hostname, Number(rabbitTarget.port || 5672)),
      redis: await createTcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379)),
    };
    for (const proxy of Object.values(proxies)) cleanups.push(() => proxy.close());

    const db = createDb({ url: database.url, poolMax: 4 }, testLogger);
    cleanups.push(() => db.close());
    const redis = createRedis(
      { url: urls.redisUrl, keyPrefix: names.redisKeyPrefix, maxRetriesPerRequest: 1 },
      testLogger,
    );
    cleanups.push(() => redis.close());
    await redis.ping();

    const commonEnv: Record<string, string> = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      CHAT_NAMESPACE: namespace,
      DATABASE_URL: throughProxy(database.url, proxies.postgres),
      RABBITMQ_URL: throughProxy(urls.rabbitmqUrl, proxies.rabbitmq),
      REDIS_URL: throughProxy(urls.redisUrl, proxies.redis),
      JWT_SECRET: TEST_JWT_SECRET,
      // TutorGo's exchange is shared by everything on the broker: the system gets its own.
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      EDGE_NODE_ID: `${namespace}-edge`,
      CHAT_PARTITIONS: String(partitions),
      // Every client connects, and reconnects through each fault, from 127.0.0.1.
      CONNECT_RATE_LIMIT_PER_IP: '1000000',
      ...options.env,
    };
    const specs = await serviceSpecs(options.layout, commonEnv, options.messageServices ?? 1);
    const services = Object.keys(specs) as ServiceName[];
    const running = new Map<ServiceName, ServiceProcess>();

    const stop = async (name: ServiceName, signal: NodeJS.Signals): Promise<ProcessExit> => {
      const child = running.get(name);
      if (!child) throw new Error(`${name} was never started`);
      child.signal(signal);
      return child.exited;
    };
    cleanups.push(async () => {
      // Only the processes this system started, each by its own pid.
      await Promise.all(
        [...running.values()].map(async (child) => {
          if (!child.running) return;
          child.signal('SIGTERM');
          const timer = setTimeout(() => child.signal('SIGKILL'), STOP_TIMEOUT_MS);
          await child.exited;
          clearTimeout(timer);
        }),
      );
    });

    const start = async (which: readonly ServiceName[] = services) => {
      await Promise.all(
        which.map(async (name) => {
          const spec = specs[name];
          if (!spec) throw new Error(`no service ${name} in the ${options.layout} layout`);
          if (running.get(name)?.running) throw new Error(`${name} is already running`);
          const child = spawnService({ name, script: spec.script, env: spec.env, logFile });
          running.set(name, child);
          await waitUntilReady(child, spec.readyUrls);
        }),
      );
    };
    await start();

    const socketPort =
      options.layout === 'combined'
        ? specs.chat!.env.CHAT_SERVICE_PORT
        : specs['socket-edge']!.env.SOCKET_EDGE_PORT;
    const historyPort =
      options.layout === 'combined'
        ? specs.chat!.env.CHAT_SERVICE_PORT
        : specs['history-service']!.env.HISTORY_SERVICE_PORT;
    return {
      layout: options.layout,
      namespace,
      database,
      socketUrl: `http://127.0.0.1:${socketPort}`,
      historyUrl: `http://127.0.0.1:${historyPort}`,
      proxies,
      db,
      redis,
      rabbitmqUrl: urls.rabbitmqUrl,
      partitions,
      logFile,
      services,
      messageServices: services.filter(isMessageService),
      process(name) {
        const child = running.get(name);
        if (!child) throw new Error(`${name} was never started`);
        return child;
      },
      opsUrl(name) {
        const spec = specs[name];
        if (!spec) throw new Error(`no service ${name} in the ${options.layout} layout`);
        return `http://127.0.0.1:${spec.env.OPS_PORT}`;
      },
      start,
      stop,
      close: runCleanups,
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

async function serviceSpecs(
  layout: Layout,
  env: Record<string, string>,
  messageServices: number,
): Promise<Partial<Record<ServiceName, ServiceSpec>>> {
  if (layout === 'combined' && messageServices !== 1) {
    throw new Error('more than one message-service needs the split layout');
  }
  const healthPort = await freePort();
  const readyAt = (port: number) => `http://127.0.0.1:${port}/readyz`;
  if (layout === 'combined') {
    const port = await freePort();
    return {
      chat: {
        script: 'scripts/start.ts',
        env: {
          ...env,
          CHAT_SERVICE_PORT: String(port),
          MESSAGE_SERVICE_HEALTH_PORT: String(healthPort),
          OPS_PORT: String(await freePort()),
        },
        readyUrls: [readyAt(port), readyAt(healthPort)],
      },
    };
  }
  const edgePort = await freePort();
  const historyPort = await freePort();
  const specs: Partial<Record<ServiceName, ServiceSpec>> = {};
  for (let index = 0; index < messageServices; index++) {
    const name: MessageServiceName = index === 0 ? 'message-service' : `message-service#${index}`;
    const port = index === 0 ? healthPort : await freePort();
    specs[name] = {
      script: 'services/message-service/src/main.ts',
      env: {
        ...env,
        MESSAGE_SERVICE_HEALTH_PORT: String(port),
        OPS_PORT: String(await freePort()),
      },
      readyUrls: [readyAt(port)],
    };
  }
  return {
    ...specs,
    'history-service': {
      script: 'services/history-service/src/main.ts',
      env: {
        ...env,
        HISTORY_SERVICE_PORT: String(historyPort),
        OPS_PORT: String(await freePort()),
      },
      readyUrls: [readyAt(historyPort)],
    },
    'socket-edge': {
      script: 'services/socket-edge/src/main.ts',
      env: { ...env, SOCKET_EDGE_PORT: String(edgePort), OPS_PORT: String(await freePort()) },
      readyUrls: [readyAt(edgePort)],
    },
  };
}

function isMessageService(name: ServiceName): name is MessageServiceName {
  return name === 'message-service' || name.startsWith('message-service#');
}

/** Polls each URL until it answers 200; fails at once when the process exits meanwhile. */
async function waitUntilReady(child: ServiceProcess, readyUrls: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const url of readyUrls) {
    for (;;) {
      if (!child.running) {
        throw new Error(`${child.name} exited while starting:\n${child.output().slice(-4000)}`);
      }
      const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) {
        throw new Error(
          `${child.name} not ready at ${url} within ${READY_TIMEOUT_MS} ms (last status ${status}):\n${child.output().slice(-4000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The same URL with host and port replaced by the proxy's. */
function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}

/** A port nobody listens on now (the OS's pick), for a service to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const client = createRedis({ url: redisUrl, keyPrefix: '', maxRetriesPerRequest: 1 }, testLogger);
  try {
    await client.ping();
    await deleteKeysWithPrefix(client.redis, prefix);
  } finally {
    await client.close();
  }
}
