import { EventEmitter } from 'node:events';
import amqplib, { type Channel } from 'amqplib';
import { connectBroker } from '@chat/broker';
import { createLogger } from '@chat/observability';
import { FakeConnection } from './fake-amqp';

const logger = createLogger({ service: 'test', level: 'silent' });

interface RecoveryOptions {
  initialDelay: number;
  maxDelay: number;
  initialMaxRetries: number;
  maxRetries: number;
  setup(connection: unknown): Promise<void>;
}

/**
 * amqplib's recovering connection without a network: the test plays amqplib's part — a
 * 'disconnect', then (after its backoff) the broker's `setup` on a fresh connection and a
 * 'connect'.
 */
function fakeAmqplib() {
  const recovering = Object.assign(new EventEmitter(), { close: () => Promise.resolve() });
  let recovery: RecoveryOptions | undefined;
  const connect = jest
    .spyOn(amqplib, 'connect')
    .mockImplementation(async (_url: unknown, options: unknown) => {
      recovery = (options as { recovery: RecoveryOptions }).recovery;
      await recovery.setup(new FakeConnection());
      return recovering as never;
    });
  return {
    connect,
    get recovery() {
      return recovery!;
    },
    lose() {
      recovering.emit('disconnect', new Error('connection lost'));
    },
    async reconnect(next: FakeConnection) {
      await recovery!.setup(next);
      recovering.emit('connect');
    },
  };
}

describe('connectBroker over a connection that comes and goes (fake amqplib)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when connecting, then amqplib recovers with the configured backoff, retrying forever once connected', async () => {
    const amqp = fakeAmqplib();
    const broker = await connectBroker(
      {
        url: 'amqp://localhost/',
        connectionName: 'test',
        reconnectInitialDelayMs: 50,
        reconnectMaxDelayMs: 400,
        initialConnectRetries: 2,
      },
      logger,
    );

    expect(amqp.recovery).toMatchObject({
      initialDelay: 50,
      maxDelay: 400,
      initialMaxRetries: 2,
      maxRetries: Infinity,
    });
    await broker.close();
  });

  it('when the connection comes back, then topology is declared again, consumers resume and reconnect listeners hear of it', async () => {
    const amqp = fakeAmqplib();
    const broker = await connectBroker(
      { url: 'amqp://localhost/', connectionName: 'test' },
      logger,
    );
    const declaredOn: Channel[] = [];
    await broker.addTopology(async (channel) => void declaredOn.push(channel));
    const handled: (string | undefined)[] = [];
    await broker.consume('q.a', async (m) => void handled.push(m.messageId), { prefetch: 1 });
    let reconnects = 0;
    broker.onReconnect(() => reconnects++);

    amqp.lose();
    expect(broker.isConnected).toBe(false);
    const next = new FakeConnection();
    await amqp.reconnect(next);
    next.consuming('q.a')[0]!.deliver('q.a', {}, 'after-reconnect');
    await new Promise((resolve) => setImmediate(resolve));

    expect(broker.isConnected).toBe(true);
    expect(declaredOn).toHaveLength(2);
    expect(next.channels).toContain(declaredOn[1]);
    expect(handled).toEqual(['after-reconnect']);
    expect(reconnects).toBe(1);
    await broker.close();
  });

  it('when a publish is made while the connection is down, then it waits and goes out on the new connection', async () => {
    const amqp = fakeAmqplib();
    const broker = await connectBroker(
      { url: 'amqp://localhost/', connectionName: 'test' },
      logger,
    );

    amqp.lose();
    const published = broker.publish('ex', 'key', { n: 1 }, { messageId: 'while-down' });
    const next = new FakeConnection();
    await amqp.reconnect(next);
    await published;

    expect(next.channels.flatMap((channel) => channel.published)).toEqual([
      { routingKey: 'key', messageId: 'while-down' },
    ]);
    await broker.close();
  });

  it('when the connection does not come back within the publish timeout, then the publish fails as unavailable', async () => {
    const amqp = fakeAmqplib();
    const broker = await connectBroker(
      { url: 'amqp://localhost/', connectionName: 'test', publishTimeoutMs: 50 },
      logger,
    );

    amqp.lose();

    await expect(broker.publish('ex', 'key', {})).rejects.toThrow(
      'RabbitMQ connection did not come back in time',
    );
    await broker.close();
  });
});
