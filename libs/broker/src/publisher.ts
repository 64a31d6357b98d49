import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { BrokerUnavailableError, PublishNackedError, UnroutableError } from './errors';
import { sleep, type ConnectionState, type Publish, type PublishOptions } from './types';

/** Header carrying the key that matches a basic.return to the publish it answers. */
const RETURN_KEY_HEADER = 'x-return-key';

/** A publish held back by a full write buffer, written from the channel's 'drain'. */
interface WaitingWrite {
  channel: ConfirmChannel;
  /** Hands the frames to amqplib; false when its buffer is full again. */
  write(): boolean;
  fail(error: Error): void;
  /** Written, failed or timed out: skipped when its turn comes. */
  abandoned: boolean;
}

export interface Publisher {
  publish: Publish;
  /** Forgets the confirm channel (the connection it lived on is gone). */
  reset(): void;
}

/**
 * Publishes on one confirm channel per connection: each publish resolves on the broker's ack,
 * rejects on its nack, on the return of a mandatory message nobody could take, or when no
 * confirm came within `timeoutMs` — in which time it also waits out a reconnect.
 */
export function createPublisher(state: ConnectionState, timeoutMs: number): Publisher {
  const { log } = state;
  const returned = new Map<string, string>();
  let confirmChannel: Promise<ConfirmChannel> | undefined;
  /** The channel once open: publishes skip two awaits per message on the hot path. */
  let openChannel: ConfirmChannel | undefined;
  function channelOn(current: ChannelModel): Promise<ConfirmChannel> {
    confirmChannel ??= current.createConfirmChannel().then((channel) => {
      channel.on('error', (error: Error) => log.warn({ err: error }, 'publish channel error'));
      channel.on('close', () => {
        // A channel error (e.g. an exchange that does not exist) closes only this channel:
        // the next publish opens a fresh one.
        if (confirmChannel === created) confirmChannel = undefined;
        if (openChannel === channel) openChannel = undefined;
        failWaiting(channel);
      });
      channel.on('return', (message: Message) => {
        const id = (message.properties.headers as Record<string, unknown> | undefined)?.[
          RETURN_KEY_HEADER
        ];
        const fields = message.fields as { replyText?: string };
        if (typeof id === 'string') returned.set(id, fields.replyText ?? 'unroutable');
      });
      return channel;
    });
    const created = confirmChannel;
    return created;
  }

  /**
   * Backpressure (STYLE 17). Past its high-water mark amqplib still buffers whatever it is
   * given and `publish()` returns false: from then on publishes queue here, in arrival order,
   * and go out from the channel's 'drain' handler, synchronously and oldest first, until the
   * buffer is full again. A publish that arrives while any wait queues behind them, so nothing
   * overtakes a waiter — not even one arriving in the same turn as the 'drain'.
   */
  let blockedOn: ConfirmChannel | undefined;
  const waiting: WaitingWrite[] = [];

  function block(channel: ConfirmChannel): void {
    if (blockedOn === channel) return;
    blockedOn = channel;
    channel.once('drain', () => {
      if (blockedOn !== channel) return;
      blockedOn = undefined;
      writeWaiting();
    });
  }

  /** Writes the waiting publishes in order until the channel's buffer is full again. */
  function writeWaiting(): void {
    while (waiting.length > 0 && blockedOn === undefined) {
      const next = waiting.shift() as WaitingWrite;
      if (next.abandoned) continue;
      next.abandoned = true;
      try {
        if (!next.write()) block(next.channel);
      } catch (error) {
        next.fail(error as Error);
      }
    }
  }

  /**
   * Fails every waiting publish as "channel closed" (they are retried on the next channel, in
   * the order they fail) and forgets the full buffer of a channel that is gone.
   */
  function failWaiting(channel: ConfirmChannel | undefined): void {
    if (channel !== undefined && blockedOn !== channel) return;
    blockedOn = undefined;
    for (const entry of waiting.splice(0)) {
      if (entry.abandoned) continue;
      entry.abandoned = true;
      entry.fail(new Error('channel closed'));
    }
  }

  async function publishOnce(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishOptions & { messageId: string },
    deadline: number,
  ): Promise<void> {
    let channel = openChannel;
    if (!channel) {
      const opening = channelOn(await state.waitForConnection(deadline));
      channel = await opening;
      // Kept only while it is still the live channel: one that closed meanwhile is forgotten.
      if (confirmChannel === opening) openChannel = channel;
    }
    // A return is matched to its publish by a key of this attempt alone: message ids repeat
    // (a parked message keeps its id, a republished one too) and a return for one copy must
    // not fail another copy's publish.
    const returnKey = options.mandatory ? randomUUID() : undefined;
    const headers = returnKey
      ? { ...options.headers, [RETURN_KEY_HEADER]: returnKey }
      : options.headers;
    await new Promise<void>((resolve, reject) => {
      const onConfirm = (error: unknown) => {
        clearTimeout(timer);
        const replyText = returnKey === undefined ? undefined : returned.get(returnKey);
        if (returnKey !== undefined) returned.delete(returnKey);
        // amqplib reports a basic.nack as Error('message nacked') and a channel that closed
        // before the confirm as Error('channel closed'); only the latter is worth retrying.
        const nacked = error && (!(error instanceof Error) || error.message === 'message nacked');
        if (nacked) reject(new PublishNackedError(exchange, routingKey));
        else if (error) reject(error as Error);
        else if (replyText !== undefined)
          reject(new UnroutableError(exchange, routingKey, replyText));
        else resolve();
      };
      let entry: WaitingWrite | undefined;
      const timer = setTimeout(
        () => {
          // Still waiting for 'drain': it must not go out after its caller was told it failed.
          if (entry) entry.abandoned = true;
          reject(new BrokerUnavailableError(`No confirm from RabbitMQ within ${timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
      if (blockedOn !== undefined || waiting.length > 0) {
        entry = {
          channel,
          write: () =>
            writeFrame(channel, exchange, routingKey, content, options, headers, onConfirm),
          fail(error) {
            clearTimeout(timer);
            reject(error);
          },
          abandoned: false,
        };
        waiting.push(entry);
        return;
      }
      try {
        if (!writeFrame(channel, exchange, routingKey, content, options, headers, onConfirm)) {
          block(channel);
        }
      } catch (error) {
        // publish() throws at once on a channel that closed meanwhile: no timer left behind.
        clearTimeout(timer);
        reject(error as Error);
      }
    });
  }

  /** The broker's 404 when `exchange` does not exist (checked on a throwaway channel). */
  async function missingExchange(exchange: string): Promise<Error | undefined> {
    const current = state.current;
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

  const publish: Publish = async (exchange, routingKey, body, options = {}) => {
    if (state.stopped) throw new BrokerUnavailableError('broker is closed');
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const withId = { ...options, messageId: options.messageId ?? randomUUID() };
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await publishOnce(exchange, routingKey, content, withId, deadline);
      } catch (error) {
        const final =
          error instanceof UnroutableError ||
          error instanceof PublishNackedError ||
          error instanceof BrokerUnavailableError ||
          state.stopped ||
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
  };

  return {
    publish,
    reset() {
      confirmChannel = undefined;
      openChannel = undefined;
      failWaiting(undefined);
    },
  };
}

/** Hands one publish to amqplib; false when its write buffer is past the high-water mark. */
function writeFrame(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: PublishOptions & { messageId: string },
  headers: Record<string, unknown> | undefined,
  onConfirm: (error: unknown) => void,
): boolean {
  return channel.publish(
    exchange,
    routingKey,
    content,
    {
      persistent: options.persistent ?? true,
      ...(options.expirationMs !== undefined && {
        expiration: String(Math.max(0, Math.round(options.expirationMs))),
      }),
      mandatory: options.mandatory ?? false,
      contentType: 'application/json',
      messageId: options.messageId,
      correlationId: options.correlationId,
      type: options.type,
      headers,
      ...(options.bcc && options.bcc.length > 0 && { BCC: options.bcc }),
      timestamp: Math.floor(Date.now() / 1000),
    },
    onConfirm,
  );
}
