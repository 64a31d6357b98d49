import { randomUUID } from 'node:crypto';
import { connectBroker, type Broker } from '@chat/broker';
import {
  canonicalConversationId,
  conversationPartition,
  sendRoutingKey,
  topologyNames,
  type SendMessageCommandV1,
} from '@chat/contracts';
import { createBookingStore, createDb, lockSpace, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import {
  deleteRabbitObjectsWithPrefix,
  queueCounts,
  testNamespace,
  testServiceUrls,
} from '@chat/testing';
import { startMessageService, type MessageService } from '../src/app';
import { loadMessageServiceConfig } from '../src/config';

// Send partitions spread over the live message-service instances (issue #11): each partition
// consumed by one instance at a time, rebalanced when one starts, stops or loses its lock
// session, and each conversation's order kept across every hand-over.
const logger = createLogger({ service: 'test', level: 'silent' });
const PARTITIONS = 8;
const urls = testServiceUrls();

interface Instance {
  service: MessageService;
  broker: Broker;
  db: Db;
  close(): Promise<void>;
}

const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('send partitions spread over message-service instances', () => {
  const namespace = testNamespace('leases');
  const names = topologyNames(namespace);
  const bookingExchange = `${namespace}.tutorgo.events`;
  const running = new Set<Instance>();
  let db: Db;
  let publisher: Broker;

  async function startInstance(rebalanceMs = 200): Promise<Instance> {
    const config = loadMessageServiceConfig({
      CHAT_NAMESPACE: namespace,
      DATABASE_URL: urls.databaseUrl,
      RABBITMQ_URL: urls.rabbitmqUrl,
      CHAT_PARTITIONS: String(PARTITIONS),
      PARTITION_REBALANCE_MS: String(rebalanceMs),
      BOOKING_EVENTS_EXCHANGE: bookingExchange,
    });
    const ownDb = createDb({ url: config.databaseUrl, poolMax: 4 }, logger);
    const broker = await connectBroker(
      { url: config.rabbitmqUrl, connectionName: 'test:leases', publishTimeoutMs: 5000 },
      logger,
    );
    const service = await startMessageService({ config, logger, db: ownDb, broker });
    const instance: Instance = {
      service,
      broker,
      db: ownDb,
      async close() {
        running.delete(instance);
        await service.close();
        await broker.close();
        await ownDb.close();
      },
    };
    running.add(instance);
    return instance;
  }

  const everyPartition = Array.from({ length: PARTITIONS }, (_, partition) => partition);
  const heldByAll = () => [...running].flatMap((instance) => instance.service.heldPartitions());
  const balanced = () => {
    const held = heldByAll();
    const counts = [...running].map((instance) => instance.service.heldPartitions().length);
    return (
      held.length === PARTITIONS &&
      new Set(held).size === PARTITIONS &&
      Math.max(...counts) - Math.min(...counts) <= 1
    );
  };
  const consumersPerQueue = async () =>
    (
      await queueCounts(
        urls.rabbitmqUrl,
        everyPartition.map((partition) => names.sendQueue(partition)),
      )
    ).map((count) => count.consumerCount);

  beforeAll(async () => {
    db = createDb({ url: urls.databaseUrl, poolMax: 4 }, logger);
    publisher = await connectBroker(
      { url: urls.rabbitmqUrl, connectionName: 'test:leases-publisher', publishTimeoutMs: 5000 },
      logger,
    );
  });

  afterEach(async () => {
    await Promise.all([...running].map((instance) => instance.close()));
  });

  afterAll(async () => {
    await publisher.close();
    await db.close();
    await deleteRabbitObjectsWithPrefix(urls.rabbitmqUrl, namespace);
  });

  it('when a second instance starts, then each holds half the partitions, one consumer per queue, and when it stops the first takes them all back', async () => {
    const first = await startInstance();
    expect(first.service.heldPartitions()).toEqual(everyPartition);

    const second = await startInstance();
    await eventually(() => second.service.heldPartitions().length === PARTITIONS / 2);
    await eventually(balanced);
    expect(await consumersPerQueue()).toEqual(everyPartition.map(() => 1));

    await second.close();
    await eventually(() => first.service.heldPartitions().length === PARTITIONS);
    expect(await consumersPerQueue()).toEqual(everyPartition.map(() => 1));
  }, 60_000);

  it('when an instance joins or leaves, then the partitions change hands at once, not at the next round', async () => {
    // Rounds a minute apart: only the announcements (NOTIFY) can move partitions in time.
    const first = await startInstance(60_000);
    expect(first.service.heldPartitions()).toEqual(everyPartition);

    const second = await startInstance(60_000);
    await eventually(balanced, 5000);
    expect(await consumersPerQueue()).toEqual(everyPartition.map(() => 1));

    await second.close();
    await eventually(() => first.service.heldPartitions().length === PARTITIONS, 5000);
  }, 60_000);

  it('when an instance loses its lock session, then the other takes its partitions, it gives up what was taken once it notices, and they balance again with one consumer per queue', async () => {
    const first = await startInstance();
    const second = await startInstance();
    await eventually(balanced);

    const memberPids = async () =>
      (
        await db.knex.raw<{ rows: { pid: number }[] }>(
          `select pid from pg_locks
            where locktype = 'advisory' and granted and objsubid = 2 and classid = ?::int8::oid`,
          [lockSpace(`${namespace}:message-service-instances`)],
        )
      ).rows.map((row) => row.pid);
    const pidsBefore = await memberPids();
    expect(pidsBefore).toHaveLength(2);
    const killed = pidsBefore[0]!;

    // What PostgreSQL does to a session whose network went away: end it.
    await db.knex.raw('select pg_terminate_backend(?)', [killed]);
    // The survivor takes every partition (the other's consumers still hold their queues, so
    // its own wait there), then the other opens a new session, lets go of what it lost, and
    // takes back its share.
    await eventually(async () => {
      const pids = await memberPids();
      return pids.length === 2 && !pids.includes(killed);
    });
    await eventually(async () => balanced() && (await consumersPerQueue()).every((n) => n === 1));
    expect(first.service.heldPartitions().length + second.service.heldPartitions().length).toBe(
      PARTITIONS,
    );
  }, 60_000);

  it('when instances start and stop in the middle of a stream over 20 conversations, then every command is stored once and each conversation in its send order', async () => {
    await startInstance();
    const bookings = createBookingStore(db.knex);
    const pairs = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const sender = `s-${randomUUID()}`;
        const receiver = `r-${randomUUID()}`;
        await bookings.applyBookingEvent({
          bookingId: `b-${randomUUID()}`,
          studentId: sender,
          tutorId: receiver,
          status: 'confirmed',
        });
        return { sender, receiver, conversationId: canonicalConversationId(sender, receiver) };
      }),
    );

    const perConversation = 40;
    const total = pairs.length * perConversation;
    const churn = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await startInstance();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const third = await startInstance();
      await new Promise((resolve) => setTimeout(resolve, 600));
      await second.close();
      await new Promise((resolve) => setTimeout(resolve, 600));
      await third.close();
    })();
    for (let n = 0; n < perConversation; n++) {
      await Promise.all(
        pairs.map(({ sender, receiver, conversationId }) => {
          const command: SendMessageCommandV1 = {
            type: 'chat.send-message.v1',
            conversationId,
            senderId: sender,
            receiverId: receiver,
            message: `m${n}`,
            clientMessageId: `${sender}.${n}`,
            acceptedAt: new Date().toISOString(),
            correlationId: randomUUID(),
          };
          const partition = conversationPartition(conversationId, PARTITIONS);
          return publisher.publish(names.commandsExchange, sendRoutingKey(partition), command, {
            mandatory: true,
            type: command.type,
            correlationId: command.correlationId,
          });
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await churn;

    const ids = pairs.map((pair) => pair.conversationId);
    await eventually(async () => {
      const [row] = await db
        .knex('messages')
        .whereIn('conversation_id', ids)
        .count<{ count: string }[]>({ count: '*' });
      return Number(row?.count) >= total;
    }, 30_000);
    const rows = await db
      .knex('messages')
      .whereIn('conversation_id', ids)
      .orderBy(['conversation_id', 'seq'])
      .select<{ conversation_id: string; body: string }[]>('conversation_id', 'body');
    expect(rows).toHaveLength(total);
    const expected = Array.from({ length: perConversation }, (_, n) => `m${n}`);
    for (const id of ids) {
      expect(rows.filter((row) => row.conversation_id === id).map((row) => row.body)).toEqual(
        expected,
      );
    }
  }, 90_000);
});
