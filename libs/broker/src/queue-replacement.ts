import type { Channel } from 'amqplib';
import type { Logger } from '@chat/observability';
import type { Broker } from './broker';
import { sleep, type Consumer } from './types';

export interface ReplaceableQueue {
  queue: string;
  /** The one binding that feeds it. */
  exchange: string;
  routingKey: string;
  /** Declares a queue named `name` as `queue` is declared now (arguments, dead-letter queue). */
  declare(channel: Channel, name: string): Promise<void>;
  /** Consumes a queue named `name` with the handler `queue`'s messages need. */
  consume(name: string): Promise<Consumer>;
  logger: Logger;
  /** How often a queue being emptied is looked at; default 200 ms. */
  pollMs?: number;
}

/** Where new messages wait while an old queue of the same name is emptied and replaced. */
export const interimQueueName = (queue: string) => `${queue}.replacing`;

/**
 * Consumes `queue`. When it exists with other arguments than it is declared with now — a classic
 * queue from before the partitions became quorum queues — it is first replaced, keeping every
 * message and their order for its consumer:
 *
 * 1. `<queue>.replacing` is declared as `queue` should be and bound, then `queue` unbound: new
 *    messages land in the interim queue from now on.
 * 2. What is left in the old `queue` is consumed until it is empty; it is deleted, declared
 *    anew and bound.
 * 3. The interim queue is unbound, consumed until empty and deleted; then `queue` is consumed.
 *
 * Messages are consumed oldest queue first, so order holds as long as one consumer does this
 * (the partition's lease holder). An interruption at any step is taken up where it stopped by
 * the next call: step 3 runs whenever the interim queue exists. While a binding moves, a message
 * may land in both queues; consumers are idempotent.
 *
 * The returned consumer's cancel stops the replacement between steps (after the batch in hand),
 * and the next holder goes on from there.
 */
export async function consumeReplacingOld(
  broker: Broker,
  target: ReplaceableQueue,
): Promise<Consumer> {
  const interim = interimQueueName(target.queue);
  const oldInTheWay = !(await declaresAsNow(broker, target));
  if (!oldInTheWay && !(await queueExists(broker, interim))) return target.consume(target.queue);

  const log = target.logger.child({ module: 'queue-replacement', queue: target.queue });
  const pollMs = target.pollMs ?? 200;
  let current: Consumer | undefined;
  let cancelled = false;

  /** Consumes `name` until it is empty and nothing is in hand, then deletes it. */
  async function empty(name: string): Promise<void> {
    for (;;) {
      current = await target.consume(name);
      while (!cancelled && (await readyCount(broker, name)) > 0) await sleep(pollMs);
      await current.cancel();
      current = undefined;
      if (cancelled) return;
      // A message that failed was requeued after its consumer went: go round again.
      if ((await readyCount(broker, name)) > 0) continue;
      if (await deleteIfEmpty(broker, name)) return;
      // Someone else still consumes it (another edge, or one of the version before, which
      // consumes the old queue until it stops): look again in a while.
      await sleep(pollMs * 5);
    }
  }

  async function replace(oldInTheWay: boolean): Promise<void> {
    if (oldInTheWay) {
      log.warn('replacing the queue declared with other arguments (e.g. classic → quorum)');
      await onChannel(broker, async (channel) => {
        await target.declare(channel, interim);
        await channel.bindQueue(interim, target.exchange, target.routingKey);
        await channel.unbindQueue(target.queue, target.exchange, target.routingKey);
      });
      await empty(target.queue);
      if (cancelled) return;
      await onChannel(broker, async (channel) => {
        await target.declare(channel, target.queue);
        await channel.bindQueue(target.queue, target.exchange, target.routingKey);
      });
    }
    if (await queueExists(broker, interim)) {
      await onChannel(broker, (channel) =>
        channel.unbindQueue(interim, target.exchange, target.routingKey),
      );
      await empty(interim);
      if (cancelled) return;
    }
    log.info('queue replaced; consuming it');
    current = await target.consume(target.queue);
  }

  const running = (async () => {
    for (let attempt = 1; !cancelled; attempt++) {
      try {
        // Looked at again on each attempt: another consumer of the queue (edges share
        // chat.offline) may have gone further meanwhile.
        return await replace(attempt === 1 ? oldInTheWay : !(await declaresAsNow(broker, target)));
      } catch (error) {
        log.error({ err: error, attempt }, 'queue replacement failed; trying again');
        await current?.cancel();
        current = undefined;
        await sleep(Math.min(1000 * attempt, 10_000));
      }
    }
  })();

  return {
    async cancel(options) {
      cancelled = true;
      await current?.cancel(options);
      await running;
      await current?.cancel(options);
    },
  };
}

async function onChannel<T>(broker: Broker, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await broker.openChannel();
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Whether declaring `queue` as it should be passes; a 406 means an older declaration is in the way. */
async function declaresAsNow(broker: Broker, target: ReplaceableQueue): Promise<boolean> {
  try {
    await onChannel(broker, (channel) => target.declare(channel, target.queue));
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 406) return false;
    throw error;
  }
}

async function queueExists(broker: Broker, name: string): Promise<boolean> {
  try {
    await onChannel(broker, (channel) => channel.checkQueue(name));
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

async function readyCount(broker: Broker, name: string): Promise<number> {
  return (await onChannel(broker, (channel) => channel.checkQueue(name))).messageCount;
}

/**
 * Deletes `name` once nothing is in it and nobody consumes it (no consumer, so nothing unacked
 * either); false while either is not so. Quorum queues refuse the if-empty flag (540, which
 * closes the connection), hence the look first: the queue is unbound by then, so nothing new
 * can arrive between the look and the delete. Gone already (another consumer deleted it) is done.
 */
async function deleteIfEmpty(broker: Broker, name: string): Promise<boolean> {
  try {
    const { messageCount, consumerCount } = await onChannel(broker, (channel) =>
      channel.checkQueue(name),
    );
    if (messageCount > 0 || consumerCount > 0) return false;
    await onChannel(broker, (channel) => channel.deleteQueue(name));
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return true;
    throw error;
  }
}
