import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import knexFactory, { type Knex } from 'knex';
import { chatTopology } from '@chat/broker';
import { canonicalConversationId, topologyNames, userRoutingKey } from '@chat/contracts';
import { createDb, createOutboxStore, migrateLatest, type Db } from '@chat/db';
import { testRunId, testServiceUrls, withDatabase, eventually } from '@chat/testing';
import { startOutboxRelay, type OutboxRelay } from '../src/adapters/outbox-relay';
import {
  newUserId,
  request,
  startHistoryTestServer,
  storeMessages,
  testLogger,
  type HistoryTestServer,
} from './support/history-server';

/*
 * A database of its own: relays of other suites share the run's outbox table and would publish
 * these rows before the relay under test starts.
 */
describe('outbox relay', () => {
  const adminUrl = process.env.CHAT_TEST_ADMIN_DATABASE_URL ?? testServiceUrls().databaseUrl;
  const database = `chat_test_${testRunId()}_histoutbox`;
  let admin: Knex;
  let db: Db;
  let amqp: ChannelModel;
  let channel: Channel;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
    await admin.raw('drop database if exists ?? with (force)', [database]);
    await admin.raw('create database ??', [database]);
    db = createDb({ url: withDatabase(adminUrl, database), poolMax: 6 }, testLogger);
    await migrateLatest(db.knex);
    amqp = await amqplib.connect(testServiceUrls().rabbitmqUrl);
    channel = await amqp.createChannel();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await amqp.close();
    await db.close();
    await admin.raw('drop database if exists ?? with (force)', [database]);
    await admin.destroy();
  });

  const started = async (options: { topology?: boolean } = {}) => {
    const server = await startHistoryTestServer({ label: 'outbox', db, relay: false, ...options });
    cleanups.push(() => server.close());
    return server;
  };
  /** How many of the relay's publishing rounds (OutboxStore.publishPending) have ended. */
  let roundsEnded = 0;
  const startRelay = (server: HistoryTestServer) => {
    const outbox = createOutboxStore(db.knex);
    roundsEnded = 0;
    const relay: OutboxRelay = startOutboxRelay({
      outbox: {
        ...outbox,
        publishPending: (...args) =>
          outbox.publishPending(...args).finally(() => void roundsEnded++),
      },
      broker: server.broker,
      logger: testLogger,
      pollIntervalMs: 100,
    });
    cleanups.push(() => relay.close());
    return relay;
  };
  /**
   * The barrier for "the relay tried and nothing went out": waits until a round that began
   * after this call has ended (the second to end from now: the first may have begun before).
   */
  const untilRelayRound = async () => {
    const ended = roundsEnded;
    await eventually(() => roundsEnded >= ended + 2, 10_000, 'two more relay rounds');
  };
  /** A student's unread message to a tutor, which the tutor then marks read over REST. */
  const readConversation = async (server: HistoryTestServer) => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    await storeMessages(server.db, student, tutor, ['unread']);
    const response = await request(server.baseUrl, `/chat/conversations/${conversationId}/read`, {
      method: 'PATCH',
      as: tutor,
    });
    expect(response.status).toBe(200);
    return { student, tutor, conversationId };
  };
  /** Every message routed from `exchange` with `routingKey` from now on, parsed. */
  const watch = async (exchange: string, routingKey: string) => {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, routingKey);
    const seen: { body: Record<string, unknown>; messageId: unknown; type: unknown }[] = [];
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        seen.push({
          body: JSON.parse(message.content.toString()) as Record<string, unknown>,
          messageId: message.properties.messageId,
          type: message.properties.type,
        });
      },
      { noAck: true },
    );
    return seen;
  };
  const pendingCount = async () =>
    Number(
      ((await db.knex('outbox').whereNull('published_at').count({ n: '*' })) as { n: string }[])[0]!
        .n,
    );

  it('when the process dies between the commit and the publish, then a relay started later publishes the receipt and the event once', async () => {
    const server = await started();
    const names = topologyNames(server.namespace);
    const { student, tutor, conversationId } = await readConversation(server);
    // No relay ran: the read is committed, its announcements are waiting.
    expect(await pendingCount()).toBe(2);
    const receipts = await watch(names.deliveryExchange, userRoutingKey(student));
    const events = await watch(names.eventsExchange, 'chat.conversation.read.v1');

    startRelay(server);

    await eventually(() => receipts.length === 1 && events.length === 1);
    await eventually(async () => (await pendingCount()) === 0);
    expect(receipts[0]).toEqual({
      body: expect.objectContaining({
        type: 'chat.delivery.v1',
        userId: student,
        event: 'messages-read',
        payload: expect.objectContaining({ conversationId, readerId: tutor }),
      }),
      messageId: expect.stringMatching(/^outbox-\d+$/),
      type: 'chat.delivery.v1',
    });
    expect(events[0]).toEqual({
      body: expect.objectContaining({ type: 'chat.conversation.read.v1', conversationId }),
      messageId: expect.stringMatching(/^outbox-\d+$/),
      type: 'chat.conversation.read.v1',
    });
    // The sentinel: the next read of the same conversation. The relay publishes rows in the
    // order they were written, so a second copy of the first two would have come before it.
    await storeMessages(server.db, student, tutor, ['later']);
    const again = await request(server.baseUrl, `/chat/conversations/${conversationId}/read`, {
      method: 'PATCH',
      as: tutor,
    });
    expect(again.status).toBe(200);
    await eventually(() => receipts.length >= 2 && events.length >= 2);
    const readByTutor = expect.objectContaining({ conversationId, readerId: tutor });
    expect(receipts.map((receipt) => receipt.body.payload)).toEqual([readByTutor, readByTutor]);
    expect(events.map((event) => event.body.upToSeq)).toEqual([1, 2]);
  });

  it('when the broker refuses the publishes, then the rows stay pending and go out in order once it accepts them', async () => {
    // No topology: every publish to the namespace's exchanges fails until it is declared.
    const server = await started({ topology: false });
    const names = topologyNames(server.namespace);
    const first = await readConversation(server);
    const second = await readConversation(server);
    startRelay(server);

    await untilRelayRound();
    expect(await pendingCount()).toBe(4);

    // The events exchange alone (as chatTopology declares it), so the watch is bound before
    // anything can go out; the receipts, first in line, still fail and hold everything back.
    await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
    const events = await watch(names.eventsExchange, 'chat.conversation.read.v1');
    await untilRelayRound();
    expect(await pendingCount()).toBe(4);
    await server.broker.addTopology(chatTopology(names, server.config.partitions));

    await eventually(async () => (await pendingCount()) === 0);
    await eventually(() => events.length === 2);
    expect(events.map((event) => event.body.conversationId)).toEqual([
      first.conversationId,
      second.conversationId,
    ]);
  });

  it('when published rows are older than the retention, then the relay deletes them', async () => {
    const server = await started();
    await readConversation(server);
    const relay = startOutboxRelay({
      outbox: createOutboxStore(db.knex),
      broker: server.broker,
      logger: testLogger,
      pollIntervalMs: 50,
      retentionMs: 1_000,
      pruneIntervalMs: 100,
    });
    cleanups.push(() => relay.close());
    await eventually(async () => (await pendingCount()) === 0);
    const published = () => db.knex('outbox').whereNotNull('published_at').count({ n: '*' });
    expect(Number(((await published()) as { n: string }[])[0]!.n)).toBeGreaterThan(0);
    await eventually(
      async () => Number(((await published()) as { n: string }[])[0]!.n) === 0,
      5_000,
    );
  });
});
