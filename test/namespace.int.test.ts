import { execFile } from 'node:child_process';
import { join } from 'node:path';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { chatTopology, connectBroker } from '@chat/broker';
import { sendRoutingKey, topologyNames } from '@chat/contracts';
import { createLogger } from '@chat/observability';
import { queueCounts, testNamespace, testServiceUrls } from '@chat/testing';
import { bookingEventsTopology } from '../services/message-service/src/entry-points/broker/booking-events-consumer';

const root = join(__dirname, '..');
const urls = testServiceUrls();
const logger = createLogger({ service: 'test', level: 'silent' });

/** Runs `npm run namespace -- <args>` as a process; resolves with its exit code and output. */
function namespaceTool(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/namespace.ts', ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          RABBITMQ_URL: urls.rabbitmqUrl,
          REDIS_URL: urls.redisUrl,
          CHAT_PARTITIONS: '2',
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** Every queue and exchange the topology gives `namespace` with `partitions` send partitions. */
function objectsOf(namespace: string, partitions: number) {
  const names = topologyNames(namespace);
  const origins = [
    ...Array.from({ length: partitions }, (_, p) => names.sendQueue(p)),
    names.offlineQueue,
    names.bookingQueue,
  ];
  return {
    queues: [...origins, ...origins.map(names.deadLetterQueue)],
    exchanges: [
      names.commandsExchange,
      names.deliveryExchange,
      names.unroutedExchange,
      names.eventsExchange,
      names.deadLetterExchange,
    ],
  };
}

const bookingExchangeOf = (namespace: string) => `${namespace}.tutorgo.events`;

/** Declares what message-service and the edges would, parks a command, and writes Redis keys. */
async function createNamespace(redis: Redis, namespace: string, partitions: number) {
  const names = topologyNames(namespace);
  const broker = await connectBroker(
    { url: urls.rabbitmqUrl, connectionName: 'test:namespace' },
    logger,
  );
  await broker.addTopology(chatTopology(names, partitions));
  await broker.addTopology(bookingEventsTopology(names, bookingExchangeOf(namespace)));
  await broker.publish(
    names.commandsExchange,
    sendRoutingKey(0),
    { waiting: true },
    {
      mandatory: true,
    },
  );
  await broker.close();
  const prefix = names.redisKeyPrefix;
  await redis.sadd(`${prefix}presence:u1`, 'node-1|socket-1');
  await redis.sadd(`${prefix}presence-nodes`, 'node-1');
  await redis.sadd(`${prefix}presence-node:users:node-1`, 'u1');
  await redis.set(`${prefix}rl:send:u1`, '3');
}

async function existing(objects: { queues: string[]; exchanges: string[] }) {
  const counts = await queueCounts(urls.rabbitmqUrl, objects.queues);
  const connection = await amqplib.connect(urls.rabbitmqUrl);
  connection.on('error', () => undefined);
  const exchanges: string[] = [];
  try {
    for (const exchange of objects.exchanges) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const found = await channel.checkExchange(exchange).then(
        () => true,
        () => false,
      );
      if (found) {
        exchanges.push(exchange);
        await channel.close();
      }
    }
  } finally {
    await connection.close();
  }
  return {
    queues: counts.filter((count) => count.messageCount !== undefined).map((count) => count.queue),
    exchanges,
  };
}

async function keysOf(redis: Redis, namespace: string) {
  return (await redis.keys(`${topologyNames(namespace).redisKeyPrefix}*`)).sort();
}

describe('npm run namespace', () => {
  let redis: Redis;
  const created: string[] = [];

  beforeAll(async () => {
    redis = new Redis(urls.redisUrl);
  });

  afterAll(async () => {
    for (const namespace of created) await namespaceTool(['delete', namespace, '--force']);
    const connection = await amqplib.connect(urls.rabbitmqUrl);
    const channel = await connection.createChannel();
    for (const namespace of created) await channel.deleteExchange(bookingExchangeOf(namespace));
    await connection.close();
    redis.disconnect();
  });

  it('when a namespace is deleted, then its queues (partitions past CHAT_PARTITIONS too), dead-letter queues, exchanges and Redis keys are gone, and another namespace’s stay', async () => {
    const doomed = testNamespace('nsgone');
    const kept = testNamespace('nskept');
    created.push(doomed, kept);
    // Declared with 4 partitions, deleted with CHAT_PARTITIONS=2: the other two are found too.
    await createNamespace(redis, doomed, 4);
    await createNamespace(redis, kept, 4);
    const keptKeys = await keysOf(redis, kept);
    expect(keptKeys).toHaveLength(4);
    expect(await existing(objectsOf(doomed, 4))).toEqual(objectsOf(doomed, 4));

    const listed = await namespaceTool(['list']);
    expect(listed.stdout).toContain(`${doomed}\t4 Redis keys\t0 live edge(s)`);
    expect(listed.stdout).toContain(`${kept}\t4 Redis keys\t0 live edge(s)`);
    const detail = await namespaceTool(['list', doomed]);
    expect(detail.stdout).toContain(`queue ${topologyNames(doomed).sendQueue(0)}\t1 ready`);
    expect(detail.stdout).toContain(`queue ${topologyNames(doomed).sendQueue(3)}\t0 ready`);

    const deleted = await namespaceTool(['delete', doomed]);
    expect({ code: deleted.code, stderr: deleted.stderr }).toEqual({ code: 0, stderr: '' });
    expect(deleted.stdout).toContain(
      `namespace ${doomed}: 17 queues and exchanges and 4 Redis keys deleted`,
    );

    expect(await existing(objectsOf(doomed, 4))).toEqual({ queues: [], exchanges: [] });
    expect(await keysOf(redis, doomed)).toEqual([]);
    expect(await existing(objectsOf(kept, 4))).toEqual(objectsOf(kept, 4));
    expect(await keysOf(redis, kept)).toEqual(keptKeys);
  }, 60_000);

  it('when a namespace is in use (a consumer on a partition, a live edge), then delete refuses and leaves it whole; with --force everything but the running edge’s own queue goes', async () => {
    const busy = testNamespace('nsbusy');
    created.push(busy);
    const names = topologyNames(busy);
    await createNamespace(redis, busy, 2);
    // A running edge: its exclusive delivery queue on its own connection, its alive key.
    const edge = await amqplib.connect(urls.rabbitmqUrl);
    try {
      const channel = await edge.createChannel();
      await channel.assertQueue(names.edgeQueue('node-live'), {
        exclusive: true,
        durable: false,
        autoDelete: true,
      });
      await channel.consume(names.sendQueue(1), () => undefined);
      await redis.sadd(`${names.redisKeyPrefix}presence-nodes`, 'node-live');
      await redis.set(`${names.redisKeyPrefix}presence-node:alive:node-live`, '1', 'EX', 60);
      const keys = await keysOf(redis, busy);

      const refused = await namespaceTool(['delete', busy]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${names.sendQueue(1)} has 1 consumer(s)`);
      expect(refused.stderr).toContain(`${names.edgeQueue('node-live')} is held by a running edge`);
      expect(refused.stderr).toContain('edge node-live announces itself alive');
      expect(await existing(objectsOf(busy, 2))).toEqual(objectsOf(busy, 2));
      expect(await keysOf(redis, busy)).toEqual(keys);

      const forced = await namespaceTool(['delete', busy, '--force']);
      expect(forced.code).toBe(1);
      expect(forced.stderr).toContain(`could not delete ${names.edgeQueue('node-live')}`);
      expect(await existing(objectsOf(busy, 2))).toEqual({ queues: [], exchanges: [] });
      expect(await keysOf(redis, busy)).toEqual([]);
    } finally {
      await edge.close().catch(() => undefined);
    }
  }, 60_000);
});
