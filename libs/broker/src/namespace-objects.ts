import type { Channel, ChannelModel } from 'amqplib';
import type { TopologyNames } from '@chat/contracts';
import { chatExchanges } from './chat-topology';
import { interimQueueName } from './queue-replacement';

export interface QueueState {
  name: string;
  /** Ready messages. */
  messages: number;
  consumers: number;
}

/** What exists of one namespace's topology on the broker. */
export interface NamespaceObjects {
  queues: QueueState[];
  /** Queues exclusive to another connection: a running edge's delivery queue. */
  lockedQueues: string[];
  exchanges: string[];
}

/** Most partitions a namespace may have (CHAT_PARTITIONS' upper bound). */
const MAX_PARTITIONS = 256;

type Probe = { state: 'missing' } | { state: 'locked' } | ({ state: 'exists' } & QueueState);

/**
 * Finds, without the management plugin, every queue and exchange our topology declares under
 * `names`: the send partitions (from 0 to `partitions`, and on while more are found, for a
 * namespace once run with more), chat.offline and chat.bookings, each with its dead-letter
 * queue and interim `.replacing` queue, the delivery queues of `edgeNodes`, and our exchanges.
 * TutorGo's booking exchange is not ours and not looked at.
 */
export async function findNamespaceObjects(
  connection: ChannelModel,
  names: TopologyNames,
  options: { partitions: number; edgeNodes: Iterable<string> },
): Promise<NamespaceObjects> {
  const found: NamespaceObjects = { queues: [], lockedQueues: [], exchanges: [] };
  const record = (probe: Probe, name: string) => {
    if (probe.state === 'locked') found.lockedQueues.push(name);
    if (probe.state === 'exists') {
      const { messages, consumers } = probe;
      found.queues.push({ name, messages, consumers });
    }
    return probe.state !== 'missing';
  };
  const withReplacements = (queue: string) => [
    queue,
    interimQueueName(queue),
    names.deadLetterQueue(queue),
  ];

  for (let partition = 0; partition < MAX_PARTITIONS; partition++) {
    let any = false;
    for (const queue of withReplacements(names.sendQueue(partition))) {
      if (record(await probeQueue(connection, queue), queue)) any = true;
    }
    if (!any && partition >= options.partitions) break;
  }
  const others = [
    ...withReplacements(names.offlineQueue),
    names.bookingQueue,
    names.deadLetterQueue(names.bookingQueue),
    ...[...options.edgeNodes].map((node) => names.edgeQueue(node)),
  ];
  for (const queue of others) record(await probeQueue(connection, queue), queue);
  for (const { name } of Object.values(chatExchanges(names))) {
    if (await exchangeExists(connection, name)) found.exchanges.push(name);
  }
  return found;
}

/**
 * Deletes the queues (consumers or not, with their messages) and exchanges found, each on its
 * own channel, so one refusal stops nothing else; a queue exclusive to another connection
 * cannot be deleted and is reported as failed.
 */
export async function deleteNamespaceObjects(
  connection: ChannelModel,
  objects: NamespaceObjects,
): Promise<{ deleted: string[]; failed: { name: string; reason: string }[] }> {
  const deleted: string[] = [];
  const failed: { name: string; reason: string }[] = [];
  const attempt = async (name: string, remove: (channel: Channel) => Promise<unknown>) => {
    try {
      await onOwnChannel(connection, remove);
      deleted.push(name);
    } catch (error) {
      failed.push({ name, reason: (error as Error).message });
    }
  };
  for (const { name } of objects.queues)
    await attempt(name, (channel) => channel.deleteQueue(name));
  for (const name of objects.lockedQueues) {
    await attempt(name, (channel) => channel.deleteQueue(name));
  }
  for (const name of objects.exchanges) {
    await attempt(name, (channel) => channel.deleteExchange(name));
  }
  return { deleted, failed };
}

/** A passive declare: 404 closes the channel, so each probe gets its own. */
async function probeQueue(connection: ChannelModel, queue: string): Promise<Probe> {
  try {
    const { messageCount, consumerCount } = await onOwnChannel(connection, (channel) =>
      channel.checkQueue(queue),
    );
    return { state: 'exists', name: queue, messages: messageCount, consumers: consumerCount };
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404) return { state: 'missing' };
    if (code === 405) return { state: 'locked' };
    throw error;
  }
}

async function exchangeExists(connection: ChannelModel, exchange: string): Promise<boolean> {
  try {
    await onOwnChannel(connection, (channel) => channel.checkExchange(exchange));
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

async function onOwnChannel<T>(
  connection: ChannelModel,
  work: (channel: Channel) => Promise<T>,
): Promise<T> {
  const channel = await connection.createChannel();
  // A refusal closes the channel with an error event; the rejected call reports it.
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
