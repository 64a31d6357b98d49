/**
 * Looks at, replays and purges the dead-letter queues, where consumers park messages they can
 * never handle (with the reason in x-poison-reason):
 *
 *   npm run dlq -- list                  every dead-letter queue of CHAT_NAMESPACE, with counts
 *   npm run dlq -- list <queue>          its oldest messages: id, type, reason, origin (no bodies)
 *   npm run dlq -- replay <queue>        back to where each came from, oldest first
 *   npm run dlq -- purge <queue> --yes   deletes them
 *
 * <queue> is a dead-letter queue's full name, e.g. chat.send.3.dlq (staging.chat.send.3.dlq
 * with CHAT_NAMESPACE=staging). --limit N bounds list and replay.
 */
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from '@chat/broker';
import { ConfigError, loadConfig, sharedEnv } from '@chat/config';
import { topologyNames } from '@chat/contracts';

const USAGE = `Usage: npm run dlq -- list [<queue>] | replay <queue> | purge <queue> --yes  [--limit N]`;

class UsageError extends Error {}

function readArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { limit: { type: 'string' }, yes: { type: 'boolean' } },
  });
  const [command, queue, ...rest] = positionals;
  if (rest.length > 0 || !['list', 'replay', 'purge'].includes(command ?? '')) {
    throw new UsageError(`expected list, replay or purge`);
  }
  if (command !== 'list' && !queue) throw new UsageError(`${command} needs a queue`);
  if (queue && !queue.endsWith('.dlq')) throw new UsageError(`${queue} is not a dead-letter queue`);
  if (command === 'purge' && !values.yes) throw new UsageError('purge deletes: add --yes');
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError('--limit must be a positive whole number');
  }
  return { command: command as 'list' | 'replay' | 'purge', queue, limit };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof readArgs>;
  let config: { rabbitmqUrl: string; namespace?: string; partitions: number };
  try {
    args = readArgs(process.argv.slice(2));
    config = loadConfig({
      rabbitmqUrl: sharedEnv.rabbitmqUrl,
      namespace: sharedEnv.namespace,
      partitions: sharedEnv.partitions,
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      console.error(`dlq: ${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const connection = await amqplib.connect(config.rabbitmqUrl);
  // A missing queue closes the channel (404); the rejected call says so, the events need a listener.
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    const { command, queue, limit } = args;
    if (command === 'list' && !queue) {
      const names = topologyNames(config.namespace);
      const origins = [
        ...Array.from({ length: config.partitions }, (_, p) => names.sendQueue(p)),
        names.offlineQueue,
        names.bookingQueue,
      ];
      for (const origin of origins) {
        const deadLetters = names.deadLetterQueue(origin);
        // A queue that does not exist closes the channel it was asked on: one channel each.
        const probe = await connection.createChannel();
        probe.on('error', () => undefined);
        const count = await probe.checkQueue(deadLetters).then(
          ({ messageCount }) => String(messageCount),
          () => 'not declared yet',
        );
        await probe.close().catch(() => undefined);
        console.log(`${deadLetters}\t${count}`);
      }
    } else if (command === 'list') {
      const { total, messages } = await listDeadLetters(channel, queue!, limit);
      console.log(
        `${queue}: ${total} parked${messages.length < total ? `, oldest ${messages.length}:` : ':'}`,
      );
      for (const message of messages) console.log(JSON.stringify(message));
    } else if (command === 'replay') {
      const { replayed, left, stoppedAt } = await replayDeadLetters(channel, queue!, limit);
      console.log(`${queue}: replayed ${replayed}, ${left} left`);
      if (stoppedAt) {
        console.error(
          `dlq: stopped at a message that cannot go back: ${JSON.stringify(stoppedAt)}`,
        );
        process.exitCode = 1;
      }
    } else {
      console.log(`${queue}: purged ${await purgeDeadLetters(channel, queue!)}`);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  if ((error as { code?: unknown }).code === 404) {
    console.error(`dlq: no such queue (${(error as Error).message})`);
    process.exit(1);
  }
  console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
