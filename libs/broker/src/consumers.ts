import { createHash } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { createChannelAcks, type ChannelAcks } from './channel-acks';
import { PoisonMessageError } from './errors';
import { toReceivedMessage } from './received-message';
import {
  sleep,
  type ConnectionState,
  type CancelOptions,
  type ConsumeOptions,
  type Consumer,
  type MessageHandler,
  type Publish,
} from './types';

interface ConsumerSpec {
  queue: string;
  handler: MessageHandler;
  options: ConsumeOptions;
  channel?: Channel;
  /** The acks of `channel`'s deliveries. */
  acks?: ChannelAcks;
  consumerTag?: string;
  cancelled: boolean;
  inFlight: number;
  /** Called once nothing is in hand. */
  idleWaiters: (() => void)[];
  attempts: Map<string, number>;
  /** The connection a restart is already scheduled on. */
  restartingOn?: ChannelModel;
}

/**
 * What a message's failures are counted under: its messageId, or without one a hash of its
 * routing key and body, so two different messages never share a count.
 */
function attemptsKey(raw: ConsumeMessage): string {
  const messageId = raw.properties.messageId as string | undefined;
  if (messageId) return messageId;
  const hash = createHash('sha1').update(raw.fields.routingKey).update('\0').update(raw.content);
  return `sha1:${hash.digest('hex')}`;
}

/** Default of CancelOptions.deadlineMs. */
const CANCEL_DEADLINE_MS = 30_000;

/** Resolves true once nothing of `spec` is in hand, or false after `ms`. */
function whenIdle(spec: ConsumerSpec, ms: number): Promise<boolean> {
  if (spec.inFlight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    spec.idleWaiters.push(() => resolve(true));
    if (Number.isFinite(ms)) setTimeout(() => resolve(false), Math.max(0, ms)).unref();
  });
}

/** AMQP channel-level errors: they close one channel, never the connection. */
const CHANNEL_ERROR_CODES = new Set([403, 404, 405, 406]);

export interface Consumers {
  consume(queue: string, handler: MessageHandler, options: ConsumeOptions): Promise<Consumer>;
  /** Starts every consumer on a fresh connection (part of the reconnect's setup). */
  restore(current: ChannelModel): Promise<void>;
  /** Forgets the channels of a connection that is gone. */
  detach(): void;
  /** Cancels every consumer and waits, until `deadline`, for the messages in hand. */
  stop(deadline: number): Promise<void>;
}

/**
 * Consumers with manual ack, each on a channel of its own (its own prefetch, and a channel error
 * stays its own). A handler that resolves acks; one that throws requeues after a pause, until
 * `maxAttempts`; a PoisonMessageError — or too many attempts — parks the message on its
 * dead-letter target with the reason, so nothing is dropped and nothing loops forever.
 */
export function createConsumers(state: ConnectionState, publish: Publish): Consumers {
  const { log } = state;
  const specs = new Set<ConsumerSpec>();

  async function start(current: ChannelModel, spec: ConsumerSpec): Promise<void> {
    const channel = await current.createChannel();
    channel.on('error', (error: Error) =>
      log.warn({ err: error, queue: spec.queue }, 'consumer channel error'),
    );
    channel.on('close', () => {
      if (spec.channel !== channel) return;
      spec.channel = undefined;
      // Closed by a channel error while the connection lives on: consume again shortly.
      if (!state.stopped && !spec.cancelled && state.current === current) {
        scheduleRestart(current, spec);
      }
    });
    await channel.prefetch(spec.options.prefetch);
    spec.channel = channel;
    const acks = createChannelAcks(channel, (error) =>
      log.debug({ err: error }, 'could not settle delivery; it will be redelivered'),
    );
    spec.acks = acks;
    const reply = await channel.consume(
      spec.queue,
      (raw) => {
        if (raw === null) {
          log.warn({ queue: spec.queue }, 'consumer cancelled by the broker (queue deleted?)');
          if (spec.channel === channel) channel.close().catch(() => undefined);
          return;
        }
        acks.received(raw);
        void handleDelivery(spec, acks, raw);
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
      if (state.stopped || spec.cancelled || state.current !== current || spec.channel) return;
      start(current, spec).catch((error: unknown) => {
        log.error({ err: error, queue: spec.queue }, 'could not restart consumer');
        spec.channel = undefined;
        scheduleRestart(current, spec);
      });
    }, 1000).unref();
  }

  async function handleDelivery(
    spec: ConsumerSpec,
    acks: ChannelAcks,
    raw: ConsumeMessage,
  ): Promise<void> {
    spec.inFlight++;
    const key = attemptsKey(raw);
    try {
      if (spec.options.requireMessageId && !raw.properties.messageId) {
        return await park(spec, acks, raw, 'no messageId: its failures could not be counted');
      }
      await spec.handler(toReceivedMessage(raw));
      spec.attempts.delete(key);
      acks.ack(raw);
    } catch (error) {
      const attempts = (spec.attempts.get(key) ?? 0) + 1;
      const maxAttempts = spec.options.maxAttempts ?? 10;
      if (error instanceof PoisonMessageError || attempts >= maxAttempts) {
        spec.attempts.delete(key);
        const reason =
          error instanceof PoisonMessageError
            ? error.message
            : `failed ${attempts} times: ${(error as Error).message}`;
        await park(spec, acks, raw, reason);
      } else {
        if (spec.attempts.size > 10_000) spec.attempts.clear();
        spec.attempts.set(key, attempts);
        log.error({ err: error, queue: spec.queue, attempts }, 'handler failed, requeueing');
        await sleep(spec.options.retryDelayMs ?? 1000);
        acks.nack(raw, true);
      }
    } finally {
      if (--spec.inFlight === 0) for (const resolve of spec.idleWaiters.splice(0)) resolve();
    }
  }

  async function park(spec: ConsumerSpec, acks: ChannelAcks, raw: ConsumeMessage, reason: string) {
    log.warn(
      { queue: spec.queue, reason, messageId: raw.properties.messageId },
      'parking poison message',
    );
    const target = spec.options.deadLetter;
    if (!target) return acks.nack(raw, false);
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
      acks.ack(raw);
    } catch (error) {
      log.error({ err: error, queue: spec.queue }, 'could not park poison message, requeueing');
      await sleep(spec.options.retryDelayMs ?? 1000);
      acks.nack(raw, true);
    }
  }

  return {
    async consume(queue, handler, options) {
      const spec: ConsumerSpec = {
        queue,
        handler,
        options,
        cancelled: false,
        inFlight: 0,
        idleWaiters: [],
        attempts: new Map(),
      };
      specs.add(spec);
      if (state.current) {
        try {
          await start(state.current, spec);
        } catch (error) {
          // The caller learns it has no consumer: it must not start later behind its back.
          spec.cancelled = true;
          specs.delete(spec);
          throw error;
        }
      }
      return {
        async cancel({ deadlineMs = CANCEL_DEADLINE_MS }: CancelOptions = {}) {
          spec.cancelled = true;
          specs.delete(spec);
          const channel = spec.channel;
          if (channel && spec.consumerTag)
            await channel.cancel(spec.consumerTag).catch(() => undefined);
          if (!(await whenIdle(spec, deadlineMs))) {
            log.warn(
              { queue, inFlight: spec.inFlight, deadlineMs },
              'messages still in hand at the cancel deadline; closing the channel, the broker hands them out again',
            );
          }
          spec.acks?.flush();
          spec.channel = undefined;
          if (channel) await channel.close().catch(() => undefined);
        },
      };
    },
    async restore(current) {
      for (const spec of specs) {
        if (spec.cancelled) continue;
        try {
          await start(current, spec);
        } catch (error) {
          // A queue that is gone (404) or held exclusively elsewhere (405) must not keep the
          // whole connection down: that consumer retries on its own.
          if (!CHANNEL_ERROR_CODES.has((error as { code?: number }).code ?? 0)) throw error;
          log.error({ err: error, queue: spec.queue }, 'could not restore consumer, retrying');
          scheduleRestart(current, spec);
        }
      }
    },
    detach() {
      for (const spec of specs) spec.channel = undefined;
    },
    async stop(deadline) {
      for (const spec of specs) {
        spec.cancelled = true;
        if (spec.channel && spec.consumerTag) {
          await spec.channel.cancel(spec.consumerTag).catch(() => undefined);
        }
      }
      await Promise.all([...specs].map((spec) => whenIdle(spec, deadline - Date.now())));
      // Acks go out now, and closing each channel (ordered after its acks) makes sure the broker
      // had them before the connection goes.
      await Promise.all(
        [...specs].map(async (spec) => {
          spec.acks?.flush();
          await spec.channel?.close().catch(() => undefined);
        }),
      );
    },
  };
}
