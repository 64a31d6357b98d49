import { randomUUID } from 'node:crypto';
import amqplib, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Message,
  type RecoveringChannelModel,
} from 'amqplib';
import type { Logger } from '@chat/observability';
import {
  BrokerUnavailableError,
  PoisonMessageError,
  PublishNackedError,
  UnroutableError,
} from './errors';
import { toReceivedMessage, type ReceivedMessage } from './received-message';

export interface BrokerConfig {
  /** amqp(s):// URL; a path names the vhost. */
  url: string;
  /** Shown in RabbitMQ's connection list, e.g. "socket-edge:node-1". */
  connectionName: string;
  /** First reconnect delay in ms; default 200. Doubles up to reconnectMaxDelayMs (default 5000). */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Attempts before start-up gives up; default 5. Once connected it retries forever. */
  initialConnectRetries?: number;
  /** How long a publish may wait for a connection and its confirm, in ms; default 10000. */
  publishTimeoutMs?: number;
  /** AMQP heartbeat in seconds; default 10. */
  heartbeatSec?: number;
}

/** Declares exchanges, queues and bindings; runs on every (re)connect, so it must be idempotent. */
export type TopologySetup = (channel: Channel) => Promise<void>;

export interface PublishOptions {
  /** Ask the broker to return the message when no queue is bound; publish then rejects with UnroutableError. */
  mandatory?: boolean;
  /** Survive a broker restart; default true. */
  persistent?: boolean;
  messageId?: string;
  correlationId?: string;
  /** The message type, e.g. "chat.message.created.v1". */
  type?: string;
  headers?: Record<string, unknown>;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface ConsumeOptions {
  /** Unacked messages this consumer may hold at once. */
  prefetch: number;
  /**
   * Where a poison message is parked, with its reason in the `x-poison-reason` header. Without it
   * the message is rejected without requeue, so the queue's own dead-letter exchange takes it.
   */
  deadLetter?: { exchange: string; routingKey: string };
  /** Wait before a message whose handler failed is requeued, in ms; default 1000. */
  retryDelayMs?: number;
  /** Failures of one message before it counts as poison; default 10. */
  maxAttempts?: number;
  exclusive?: boolean;
}

export interface Consumer {
  /** Stops receiving and waits for the messages in hand to finish. */
  cancel(): Promise<void>;
}

export interface Broker {
  readonly isConnected: boolean;
  /** Runs `setup` now and again after every reconnect. */
  addTopology(setup: TopologySetup): Promise<void>;
  /** Resolves once the broker confirmed the message; rejects on nack, return (mandatory) or timeout. */
  publish(
    exchange: string,
    routingKey: string,
    body: unknown,
    options?: PublishOptions,
  ): Promise<void>;
  /** Consumes with manual ack: the handler resolving acks, throwing requeues or parks the message. */
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Consumer>;
  /**
   * Runs `work` on a shared plain channel (bindings and other quick declarations), in call
   * order. Waits for a connection up to the publish timeout.
   */
  withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T>;
  /** Called after a lost connection came back and topology and consumers were restored. */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

interface ConsumerSpec {
  queue: string;
  handler: MessageHandler;
  options: ConsumeOptions;
  channel?: Channel;
  consumerTag?: string;
  cancelled: boolean;
  inFlight: number;
  attempts: Map<string, number>;
  /** The connection a restart is already scheduled on. */
  restartingOn?: ChannelModel;
}

/** AMQP channel-level errors: they close one channel, never the connection. */
const CHANNEL_ERROR_CODES = new Set([403, 404, 405, 406]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects (retrying with backoff) and keeps the connection, topology and consumers alive. */
export async function connectBroker(config: BrokerConfig, logger: Logger): Promise<Broker> {
  const log = logger.child({ module: 'broker' });
  const publishTimeoutMs = config.publishTimeoutMs ?? 10_000;
  const topologies: TopologySetup[] = [];
  const consumers = new Set<ConsumerSpec>();
  const reconnectListeners: (() => void)[] = [];
  const returned = new Map<string, string>();
  let model: ChannelModel | undefined;
  let publishChannel: Promise<ConfirmChannel> | undefined;
  let sharedChannel: Promise<Channel> | undefined;
  let connectedOnce = false;
  let stopped = false;
  let connectionWaiters: (() => void)[] = [];

  const url = new URL(config.url);
  url.searchParams.set('heartbeat', String(config.heartbeatSec ?? 10));

  async function setup(next: ChannelModel): Promise<void> {
    next.on('error', (error: Error) => log.warn({ err: error }, 'connection error'));
    const channel = await next.createChannel();
    channel.on('error', (error: Error) => log.error({ err: error }, 'topology declaration failed'));
    for (const declare of topologies) await declare(channel);
    await channel.close();
    model = next;
    publishChannel = undefined;
    sharedChannel = undefined;
    try {
      for (const spec of consumers) {
        if (spec.cancelled) continue;
        try {
          await startConsumer(next, spec);
        } catch (error) {
          // A queue that is gone (404) or held exclusively elsewhere (405) must not keep the
          // whole connection down: that consumer retries on its own.
          if (!CHANNEL_ERROR_CODES.has((error as { code?: number }).code ?? 0)) throw error;
          log.error({ err: error, queue: spec.queue }, 'could not restore consumer, retrying');
          scheduleRestart(next, spec);
        }
      }
    } catch (error) {
      // Recovery drops this connection and tries again; publishes must not use it meanwhile.
      model = undefined;
      publishChannel = undefined;
      sharedChannel = undefined;
      throw error;
    }
  }

  const connection: RecoveringChannelModel = await amqplib
    .connect(url.toString(), {
      clientProperties: { connection_name: config.connectionName },
      recovery: {
        initialDelay: config.reconnectInitialDelayMs ?? 200,
        maxDelay: config.reconnectMaxDelayMs ?? 5000,
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
    model = undefined;
    publishChannel = undefined;
    sharedChannel = undefined;
    for (const spec of consumers) spec.channel = undefined;
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

  function confirmChannel(current: ChannelModel): Promise<ConfirmChannel> {
    publishChannel ??= current.createConfirmChannel().then((channel) => {
      channel.on('error', (error: Error) => log.warn({ err: error }, 'publish channel error'));
      channel.on('close', () => {
        // A channel error (e.g. an exchange that does not exist) closes only this channel:
        // the next publish opens a fresh one.
        if (publishChannel === created) publishChannel = undefined;
      });
      channel.on('return', (message: Message) => {
        const id = message.properties.messageId as string | undefined;
        const fields = message.fields as { replyText?: string };
        if (id) returned.set(id, fields.replyText ?? 'unroutable');
      });
      return channel;
    });
    const created = publishChannel;
    return created;
  }

  async function publishOnce(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions & { messageId: string },
    deadline: number,
  ): Promise<void> {
    const current = await waitForConnection(deadline);
    const channel = await confirmChannel(current);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new BrokerUnavailableError(`No confirm from RabbitMQ within ${publishTimeoutMs} ms`),
          ),
        Math.max(0, deadline - Date.now()),
      );
      try {
        channel.publish(
          exchange,
          routingKey,
          content,
          {
            persistent: options.persistent ?? true,
            mandatory: options.mandatory ?? false,
            contentType: 'application/json',
            messageId: options.messageId,
            correlationId: options.correlationId,
            type: options.type,
            headers: options.headers,
            timestamp: Math.floor(Date.now() / 1000),
          },
          (error: unknown) => {
            clearTimeout(timer);
            const replyText = returned.get(options.messageId);
            returned.delete(options.messageId);
            // amqplib reports a basic.nack as Error('message nacked') and a channel that closed
            // before the confirm as Error('channel closed'); only the latter is worth retrying.
            const nacked =
              error && (!(error instanceof Error) || error.message === 'message nacked');
            if (nacked) reject(new PublishNackedError(exchange, routingKey));
            else if (error) reject(error as Error);
            else if (replyText !== undefined)
              reject(new UnroutableError(exchange, routingKey, replyText));
            else resolve();
          },
        );
      } catch (error) {
        // publish() throws at once on a channel that closed meanwhile: no timer left behind.
        clearTimeout(timer);
        throw error;
      }
    });
  }

  async function publish(
    exchange: string,
    routingKey: string,
    body: unknown,
    options: PublishOptions = {},
  ): Promise<void> {
    if (stopped) throw new BrokerUnavailableError('broker is closed');
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const withId = { ...options, messageId: options.messageId ?? randomUUID() };
    const deadline = Date.now() + publishTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await publishOnce(exchange, routingKey, content, withId, deadline);
      } catch (error) {
        const final =
          error instanceof UnroutableError ||
          error instanceof PublishNackedError ||
          error instanceof BrokerUnavailableError ||
          stopped ||
          attempt >= 3 ||
          Date.now() >= deadline;
        if (final) throw error;
        // A publish to a missing exchange closes the channel; publishing it again would only
        // close the next channel too, taking concurrent publishes down with it.
        const missing = await missingExchange(exchange);
        if (missing) throw missing;
        // The channel or connection went away before the confirm: publish again once it is back.
        // A duplicate is possible and fine; consumers de-duplicate by message id.
        log.warn({ err: error, exchange, routingKey, attempt }, 'publish failed, retrying');
        await sleep(Math.min(200 * attempt, Math.max(0, deadline - Date.now())));
      }
    }
  }

  /** The broker's 404 when `exchange` does not exist (checked on a throwaway channel). */
  async function missingExchange(exchange: string): Promise<Error | undefined> {
    const current = model;
    if (!current || exchange === '') return undefined;
    try {
      const channel = await current.createChannel();
      channel.on('error', () => undefined);
      await channel.checkExchange(exchange);
      await channel.close().catch(() => undefined);
      return undefined;
    } catch (error) {
      return (error as { code?: number }).code === 404 ? (error as Error) : undefined;
    }
  }

  async function startConsumer(current: ChannelModel, spec: ConsumerSpec): Promise<void> {
    const channel = await current.createChannel();
    channel.on('error', (error: Error) =>
      log.warn({ err: error, queue: spec.queue }, 'consumer channel error'),
    );
    channel.on('close', () => {
      if (spec.channel !== channel) return;
      spec.channel = undefined;
      // Closed by a channel error while the connection lives on: consume again shortly.
      if (!stopped && !spec.cancelled && model === current) scheduleRestart(current, spec);
    });
    await channel.prefetch(spec.options.prefetch);
    spec.channel = channel;
    const reply = await channel.consume(
      spec.queue,
      (raw) => {
        if (raw === null) {
          log.warn({ queue: spec.queue }, 'consumer cancelled by the broker (queue deleted?)');
          if (spec.channel === channel) channel.close().catch(() => undefined);
          return;
        }
        void handleDelivery(spec, channel, raw);
      },
      { noAck: false, exclusive: spec.options.exclusive ?? false },
    );
    spec.consumerTag = reply.consumerTag;
  }

  function scheduleRestart(current: ChannelModel, spec: ConsumerSpec): void {
    // Both the channel's 'close' and the failed start ask for a restart: one timer is enough,
    // else the attempts double every second while the queue is missing.
    if (spec.restartingOn === current) return;
    spec.restartingOn = current;
    setTimeout(() => {
      if (spec.restartingOn === current) spec.restartingOn = undefined;
      if (stopped || spec.cancelled || model !== current || spec.channel) return;
      startConsumer(current, spec).catch((error: unknown) => {
        log.error({ err: error, queue: spec.queue }, 'could not restart consumer');
        spec.channel = undefined;
        scheduleRestart(current, spec);
      });
    }, 1000).unref();
  }

  async function handleDelivery(
    spec: ConsumerSpec,
    channel: Channel,
    raw: ConsumeMessage,
  ): Promise<void> {
    spec.inFlight++;
    const key =
      (raw.properties.messageId as string | undefined) ??
      `${raw.fields.routingKey}:${raw.content.length}`;
    try {
      await spec.handler(toReceivedMessage(raw));
      spec.attempts.delete(key);
      settle(() => channel.ack(raw));
    } catch (error) {
      const attempts = (spec.attempts.get(key) ?? 0) + 1;
      const maxAttempts = spec.options.maxAttempts ?? 10;
      if (error instanceof PoisonMessageError || attempts >= maxAttempts) {
        spec.attempts.delete(key);
        const reason =
          error instanceof PoisonMessageError
            ? error.message
            : `failed ${attempts} times: ${(error as Error).message}`;
        await park(spec, channel, raw, reason);
      } else {
        if (spec.attempts.size > 10_000) spec.attempts.clear();
        spec.attempts.set(key, attempts);
        log.error({ err: error, queue: spec.queue, attempts }, 'handler failed, requeueing');
        await sleep(spec.options.retryDelayMs ?? 1000);
        settle(() => channel.nack(raw, false, true));
      }
    } finally {
      spec.inFlight--;
    }
  }

  async function park(spec: ConsumerSpec, channel: Channel, raw: ConsumeMessage, reason: string) {
    log.warn(
      { queue: spec.queue, reason, messageId: raw.properties.messageId },
      'parking poison message',
    );
    const target = spec.options.deadLetter;
    if (!target) return settle(() => channel.nack(raw, false, false));
    try {
      // Mandatory: a target with no queue bound must not swallow the message.
      await publish(target.exchange, target.routingKey, raw.content, {
        mandatory: true,
        messageId: raw.properties.messageId as string | undefined,
        correlationId: raw.properties.correlationId as string | undefined,
        type: raw.properties.type as string | undefined,
        headers: {
          ...(raw.properties.headers ?? {}),
          'x-poison-reason': reason,
          'x-original-exchange': raw.fields.exchange,
          'x-original-routing-key': raw.fields.routingKey,
          'x-original-queue': spec.queue,
        },
      });
      settle(() => channel.ack(raw));
    } catch (error) {
      log.error({ err: error, queue: spec.queue }, 'could not park poison message, requeueing');
      await sleep(spec.options.retryDelayMs ?? 1000);
      settle(() => channel.nack(raw, false, true));
    }
  }

  /** Acks and nacks on a channel that closed meanwhile fail; the broker redelivers those anyway. */
  function settle(action: () => void): void {
    try {
      action();
    } catch (error) {
      log.debug({ err: error }, 'could not settle delivery; it will be redelivered');
    }
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
          await declare(channel);
        } finally {
          await channel.close().catch(() => undefined);
        }
      } catch (error) {
        // Kept, it would fail every reconnect's setup and so keep the connection down for good.
        topologies.splice(topologies.indexOf(declare), 1);
        throw error;
      }
    },
    publish,
    async consume(queue, handler, options) {
      const spec: ConsumerSpec = {
        queue,
        handler,
        options,
        cancelled: false,
        inFlight: 0,
        attempts: new Map(),
      };
      consumers.add(spec);
      if (model) {
        try {
          await startConsumer(model, spec);
        } catch (error) {
          // The caller learns it has no consumer: it must not start later behind its back.
          spec.cancelled = true;
          consumers.delete(spec);
          throw error;
        }
      }
      return {
        async cancel() {
          spec.cancelled = true;
          consumers.delete(spec);
          const channel = spec.channel;
          if (channel && spec.consumerTag)
            await channel.cancel(spec.consumerTag).catch(() => undefined);
          while (spec.inFlight > 0) await sleep(20);
          spec.channel = undefined;
          if (channel) await channel.close().catch(() => undefined);
        },
      };
    },
    async withChannel(work) {
      const current = await waitForConnection(Date.now() + publishTimeoutMs);
      sharedChannel ??= current.createChannel().then((channel) => {
        channel.on('error', (error: Error) => log.warn({ err: error }, 'shared channel error'));
        channel.on('close', () => {
          if (sharedChannel === created) sharedChannel = undefined;
        });
        return channel;
      });
      const created = sharedChannel;
      return work(await created);
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    close() {
      closing ??= (async () => {
        stopped = true;
        for (const spec of consumers) {
          spec.cancelled = true;
          if (spec.channel && spec.consumerTag) {
            await spec.channel.cancel(spec.consumerTag).catch(() => undefined);
          }
        }
        const deadline = Date.now() + publishTimeoutMs;
        while ([...consumers].some((s) => s.inFlight > 0) && Date.now() < deadline) await sleep(20);
        await connection
          .close()
          .catch((error: unknown) => log.debug({ err: error }, 'close failed'));
        log.info('broker connection closed');
      })();
      return closing;
    },
  };
}
