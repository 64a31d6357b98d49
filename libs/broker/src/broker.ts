import amqplib, { type Channel, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { coalesceWrites, type CorkableStream } from '@chat/net';
import type { Logger } from '@chat/observability';
import { createConsumers } from './consumers';
import { BrokerUnavailableError } from './errors';
import { createPublisher } from './publisher';
import type {
  ConnectionState,
  ConsumeOptions,
  Consumer,
  MessageHandler,
  Publish,
  TopologyContext,
  TopologySetup,
} from './types';

export interface BrokerConfig {
  /** amqp(s):// URL; a path names the vhost. */
  url: string;
  /** Shown in RabbitMQ's connection list, e.g. "socket-edge:node-1". */
  connectionName: string;
  /**
   * First reconnect delay in ms; default 200. Doubles up to reconnectMaxDelayMs (default 1000:
   * an attempt a second costs a down broker nothing, and sends resume within a second of it
   * coming back instead of up to five).
   */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Attempts before start-up gives up; default 5. Once connected it retries forever. */
  initialConnectRetries?: number;
  /** How long a publish may wait for a connection and its confirm, in ms; default 10000. */
  publishTimeoutMs?: number;
  /** AMQP heartbeat in seconds; default 10. */
  heartbeatSec?: number;
}

export interface Broker {
  readonly isConnected: boolean;
  /** Runs `setup` now and again after every reconnect. */
  addTopology(setup: TopologySetup): Promise<void>;
  /** Resolves once the broker confirmed the message; rejects on nack, return (mandatory) or timeout. */
  publish: Publish;
  /** Consumes with manual ack: the handler resolving acks, throwing requeues or parks the message. */
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Consumer>;
  /**
   * Runs `work` on a shared plain channel (bindings and other quick declarations), in call
   * order. Waits for a connection up to the publish timeout. A channel answers one request at
   * a time: work on different `lane`s (default 0; each lane is a channel of its own, opened on
   * first use) runs in parallel, work on one lane in call order.
   */
  withChannel<T>(work: (channel: Channel) => Promise<T>, options?: { lane?: number }): Promise<T>;
  /**
   * A channel of the caller's own, for work that may end in a channel error (a passive declare
   * of a missing queue, a declaration with other arguments): the caller closes it. Waits for a
   * connection up to the publish timeout.
   */
  openChannel(): Promise<Channel>;
  /** Called after a lost connection came back and topology and consumers were restored. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * Connects (retrying with backoff) and keeps the connection alive in the manner of
 * amqp-connection-manager: after every reconnect the topology is declared again, then the
 * consumers resume; publishes wait for the connection and resolve on the broker's confirm.
 */
export async function connectBroker(config: BrokerConfig, logger: Logger): Promise<Broker> {
  const log = logger.child({ module: 'broker' });
  const publishTimeoutMs = config.publishTimeoutMs ?? 10_000;
  const topologies: TopologySetup[] = [];
  const reconnectListeners: (() => void)[] = [];
  let model: ChannelModel | undefined;
  const sharedChannels = new Map<number, Promise<Channel>>();
  let connectedOnce = false;
  let stopped = false;
  let connectionWaiters: (() => void)[] = [];

  const state: ConnectionState = {
    get current() {
      return model;
    },
    get stopped() {
      return stopped;
    },
    waitForConnection,
    log,
  };
  const publisher = createPublisher(state, publishTimeoutMs);
  const consumers = createConsumers(state, publisher.publish);

  /** Forgets everything that lived on the connection. */
  function forgetConnection(): void {
    model = undefined;
    sharedChannels.clear();
    publisher.reset();
  }

  async function setup(next: ChannelModel): Promise<void> {
    const socket = (next.connection as unknown as { stream?: CorkableStream }).stream;
    if (socket) coalesceWrites(socket);
    next.on('error', (error: Error) => log.warn({ err: error }, 'connection error'));
    const channel = await next.createChannel();
    channel.on('error', (error: Error) => log.error({ err: error }, 'topology declaration failed'));
    const context = topologyContext(next);
    for (const declare of topologies) await declare(channel, context);
    await channel.close();
    forgetConnection();
    model = next;
    try {
      await consumers.restore(next);
    } catch (error) {
      // Recovery drops this connection and tries again; publishes must not use it meanwhile.
      forgetConnection();
      throw error;
    }
  }

  const url = new URL(config.url);
  url.searchParams.set('heartbeat', String(config.heartbeatSec ?? 10));
  const connection: RecoveringChannelModel = await amqplib
    .connect(url.toString(), {
      clientProperties: { connection_name: config.connectionName },
      // Nagle's algorithm would hold each small publish and ack back ~40 ms; chat is all
      // small messages, so send at once (the bench measured 53 ms → 11 ms per message).
      noDelay: true,
      recovery: {
        initialDelay: config.reconnectInitialDelayMs ?? 200,
        maxDelay: config.reconnectMaxDelayMs ?? 1000,
        initialMaxRetries: config.initialConnectRetries ?? 5,
        maxRetries: Infinity,
        setup,
      },
    })
    .catch((error: Error) => {
      throw new Error(
        `RabbitMQ is not reachable at ${url.hostname}:${url.port || 5672}${url.pathname || '/'}: ${error.message}`,
        { cause: error },
      );
    });

  connection.on('error', (error: Error) => log.warn({ err: error }, 'connection error'));
  connection.on('blocked', (reason: string) =>
    log.warn({ reason }, 'connection blocked by broker'),
  );
  connection.on('disconnect', (error: Error) => {
    forgetConnection();
    consumers.detach();
    if (!stopped) log.warn({ err: error }, 'connection lost, reconnecting');
  });
  connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
    log.info({ attempt, delay }, 'reconnect scheduled'),
  );
  connection.on('connect', () => {
    const waiters = connectionWaiters;
    connectionWaiters = [];
    for (const resolve of waiters) resolve();
    if (connectedOnce) {
      log.info('reconnected; topology and consumers restored');
      for (const listener of reconnectListeners) listener();
    }
    connectedOnce = true;
  });
  // The first 'connect' may have been emitted before the listener above existed.
  connectedOnce = model !== undefined;
  log.info({ connectionName: config.connectionName }, 'connected to RabbitMQ');

  function waitForConnection(deadline: number): Promise<ChannelModel> {
    if (model) return Promise.resolve(model);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          connectionWaiters = connectionWaiters.filter((w) => w !== onConnect);
          reject(new BrokerUnavailableError('RabbitMQ connection did not come back in time'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const onConnect = () => {
        clearTimeout(timer);
        if (model) resolve(model);
        else reject(new BrokerUnavailableError('RabbitMQ connection lost again'));
      };
      connectionWaiters.push(onConnect);
    });
  }

  let closing: Promise<void> | undefined;

  return {
    get isConnected() {
      return model !== undefined && !stopped;
    },
    async addTopology(declare) {
      topologies.push(declare);
      if (!model) return;
      try {
        const channel = await model.createChannel();
        channel.on('error', (error: Error) =>
          log.error({ err: error }, 'topology declaration failed'),
        );
        try {
          await declare(channel, topologyContext(model));
        } finally {
          await channel.close().catch(() => undefined);
        }
      } catch (error) {
        // Kept, it would fail every reconnect's setup and so keep the connection down for good.
        topologies.splice(topologies.indexOf(declare), 1);
        throw error;
      }
    },
    publish: publisher.publish,
    consume: consumers.consume,
    async withChannel(work, options) {
      const lane = options?.lane ?? 0;
      const current = await waitForConnection(Date.now() + publishTimeoutMs);
      let created = sharedChannels.get(lane);
      const forget = () => {
        if (sharedChannels.get(lane) === created) sharedChannels.delete(lane);
      };
      if (!created) {
        created = current.createChannel().then(
          (channel) => {
            channel.on('error', (error: Error) =>
              log.warn({ err: error, lane }, 'shared channel error'),
            );
            channel.on('close', forget);
            return channel;
          },
          (error: unknown) => {
            forget();
            throw error;
          },
        );
        sharedChannels.set(lane, created);
      }
      return work(await created);
    },
    async openChannel() {
      return topologyContext(await waitForConnection(Date.now() + publishTimeoutMs)).openChannel();
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    close() {
      closing ??= (async () => {
        stopped = true;
        await consumers.stop(Date.now() + publishTimeoutMs);
        await connection
          .close()
          .catch((error: unknown) => log.debug({ err: error }, 'close failed'));
        log.info('broker connection closed');
      })();
      return closing;
    },
  };
}

function topologyContext(model: ChannelModel): TopologyContext {
  return {
    async openChannel() {
      const channel = await model.createChannel();
      // A declaration refused here (406) closes this channel only; its caller decides.
      channel.on('error', () => undefined);
      return channel;
    },
  };
}
