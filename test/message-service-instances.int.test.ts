// Issue #11: message-service instances started by hand, as an operator scales out — two real
// processes (services/message-service/src/main.ts) in one namespace and database — share the
// send partitions: each consumes half, every send queue has exactly one consumer, and when one
// stops the other takes them all.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topologyNames } from '@chat/contracts';
import {
  deleteRabbitObjectsWithPrefix,
  queueCounts,
  testNamespace,
  testServiceUrls,
} from '@chat/testing';
import { freePort } from './chaos/support/chaos-system';
import { partitionsHeldAt, waitForPartitions } from './chaos/support/partitions';
import { spawnService, type ServiceProcess } from './chaos/support/service-process';

const PARTITIONS = 8;
const TAKEOVER_LIMIT_MS = 15_000;
const FROZEN_TAKEOVER_LIMIT_MS = 30_000;
const urls = testServiceUrls();
const namespace = testNamespace('instances');
const names = topologyNames(namespace);
const logFile = join(mkdtempSync(join(tmpdir(), `${namespace}-`)), 'services.log');
const started: ServiceProcess[] = [];

interface Instance {
  process: ServiceProcess;
  opsUrl: string;
}

/** One message-service process with ports of its own; resolves once it answers /readyz. */
async function startInstance(label: string): Promise<Instance> {
  const healthPort = await freePort();
  const opsPort = await freePort();
  const child = spawnService({
    name: label,
    script: 'services/message-service/src/main.ts',
    logFile,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      CHAT_NAMESPACE: namespace,
      DATABASE_URL: urls.databaseUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
      CHAT_PARTITIONS: String(PARTITIONS),
      MESSAGE_SERVICE_HEALTH_PORT: String(healthPort),
      OPS_PORT: String(opsPort),
    },
  });
  started.push(child);
  await child.waitForOutput(/consuming send commands and booking events/, 60_000);
  return { process: child, opsUrl: `http://127.0.0.1:${opsPort}` };
}

const consumersPerSendQueue = async () =>
  (
    await queueCounts(
      urls.rabbitmqUrl,
      Array.from({ length: PARTITIONS }, (_, partition) => names.sendQueue(partition)),
    )
  ).map((count) => count.consumerCount);

afterEach(async () => {
  // Only the processes this file started, each by its own pid (a frozen one must go too).
  const children = started.splice(0);
  for (const child of children) {
    child.signal('SIGKILL');
    child.signal('SIGCONT');
  }
  await Promise.all(children.map((child) => child.exited));
}, 30_000);

afterAll(async () => {
  await deleteRabbitObjectsWithPrefix(urls.rabbitmqUrl, `${namespace}.`);
}, 30_000);

describe('message-service instances started by hand', () => {
  it('when two run in one namespace, then each holds half the send partitions with one consumer per send queue, and when one gets SIGTERM the other holds them all within 15 s', async () => {
    const [first, second] = await Promise.all([startInstance('first'), startInstance('second')]);
    const both = () => Promise.all([first!, second!].map((i) => partitionsHeldAt(i.opsUrl)));

    // Rebalanced every PARTITION_REBALANCE_MS (default 5 s): a few rounds at most.
    const shared = await waitForPartitions(
      both,
      (held) => held.every((n) => n === PARTITIONS / 2),
      30_000,
    );
    expect(shared.held).toEqual([PARTITIONS / 2, PARTITIONS / 2]);
    // RabbitMQ's view: each send queue consumed by exactly one of them (a single active
    // consumer's waiting ones would count too).
    expect(await consumersPerSendQueue()).toEqual(Array(PARTITIONS).fill(1));

    const stoppedAt = Date.now();
    second!.process.signal('SIGTERM');
    const exit = await second!.process.exited;
    expect(exit.code).toBe(0);
    const takeover = await waitForPartitions(
      async () => [await partitionsHeldAt(first!.opsUrl)],
      ([held]) => held === PARTITIONS,
      TAKEOVER_LIMIT_MS,
    );
    expect(takeover.held).toEqual([PARTITIONS]);
    expect(takeover.at - stoppedAt).toBeLessThanOrEqual(TAKEOVER_LIMIT_MS);
    expect(await consumersPerSendQueue()).toEqual(Array(PARTITIONS).fill(1));
  }, 120_000);

  it('when one of two freezes (SIGSTOP: its connections stay open, it runs no round), then PostgreSQL ends its idle lock session and the other holds every partition within 30 s; when it runs again, they share them again with one consumer per send queue', async () => {
    const [first, second] = await Promise.all([startInstance('first'), startInstance('second')]);
    const both = () => Promise.all([first!, second!].map((i) => partitionsHeldAt(i.opsUrl)));
    const halves = (held: number[]) => held.every((n) => n === PARTITIONS / 2);
    expect((await waitForPartitions(both, halves, 30_000)).held).toEqual([
      PARTITIONS / 2,
      PARTITIONS / 2,
    ]);

    // Before idle_session_timeout, the frozen one kept its locks for as long as its
    // connection stayed open while RabbitMQ dropped its consumers (no heartbeat): half the
    // send queues had no consumer at all 30 s later, and the other instance held 4.
    second!.process.signal('SIGSTOP');
    const takeover = await waitForPartitions(
      async () => [await partitionsHeldAt(first!.opsUrl)],
      ([held]) => held === PARTITIONS,
      FROZEN_TAKEOVER_LIMIT_MS,
    );
    expect(takeover.held).toEqual([PARTITIONS]);

    // Back, it finds its session ended and its partitions taken, lets go of them (its
    // consumers waited behind the other's), and the next rounds share them again.
    second!.process.signal('SIGCONT');
    expect((await waitForPartitions(both, halves, 30_000)).held).toEqual([
      PARTITIONS / 2,
      PARTITIONS / 2,
    ]);
    expect(await consumersPerSendQueue()).toEqual(Array(PARTITIONS).fill(1));
  }, 150_000);
});
