import net from 'node:net';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { connectBroker, type Broker, type BrokerConfig } from '@chat/broker';
import { createLogger } from '@chat/observability';
import { testServiceUrls } from '@chat/testing';

export const logger = createLogger({ service: 'test', level: 'silent' });

export const rabbitmqUrl = () => testServiceUrls().rabbitmqUrl;

/** A broker with short delays, so a failing test fails fast instead of hitting Jest's timeout. */
export function startBroker(config: Partial<BrokerConfig> = {}): Promise<Broker> {
  return connectBroker(
    {
      url: rabbitmqUrl(),
      connectionName: 'broker-test',
      reconnectInitialDelayMs: 100,
      reconnectMaxDelayMs: 1000,
      publishTimeoutMs: 5000,
      ...config,
    },
    logger,
  );
}

/**
 * A plain amqplib connection beside the broker under test, to look at queues and to delete
 * what a test declared. Each call opens a fresh channel: a failed check (404) closes its
 * channel, and must not take the next check with it.
 */
export interface Admin {
  /** Ready messages in the queue, or undefined when the queue does not exist. */
  messageCount(queue: string): Promise<number | undefined>;
  consumerCount(queue: string): Promise<number | undefined>;
  /** Takes one message off the queue (acked), or false when it is empty. */
  get(queue: string): Promise<amqplib.GetMessage | false>;
  withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T>;
  deleteAll(objects: { queues?: string[]; exchanges?: string[] }): Promise<void>;
  close(): Promise<void>;
}

export async function openAdmin(): Promise<Admin> {
  const connection: ChannelModel = await amqplib.connect(rabbitmqUrl());
  connection.on('error', () => undefined);

  async function withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  const check = (queue: string) =>
    withChannel((channel) => channel.checkQueue(queue)).catch(() => undefined);

  return {
    async messageCount(queue) {
      return (await check(queue))?.messageCount;
    },
    async consumerCount(queue) {
      return (await check(queue))?.consumerCount;
    },
    get: (queue) => withChannel((channel) => channel.get(queue, { noAck: true })),
    withChannel,
    async deleteAll({ queues = [], exchanges = [] }) {
      for (const queue of queues) await withChannel((c) => c.deleteQueue(queue)).catch(() => {});
      for (const exchange of exchanges) {
        await withChannel((c) => c.deleteExchange(exchange)).catch(() => {});
      }
    },
    close: () => connection.close().catch(() => undefined),
  };
}

/** Polls until `check` returns without throwing (e.g. an `expect`), or rethrows its last error. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether `promise` settled within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
