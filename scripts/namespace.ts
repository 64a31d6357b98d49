/**
 * Looks at and removes whole namespaces (CHAT_NAMESPACE) from RabbitMQ and Redis, without the
 * management plugin:
 *
 *   npm run namespace -- list                      namespaces with Redis keys here, and counts
 *   npm run namespace -- list <ns>                 what delete would remove
 *   npm run namespace -- delete <ns> [--force]     removes its queues, exchanges and Redis keys
 *
 * <ns> '' is the unprefixed namespace, production's: delete refuses it without --force, and
 * refuses a namespace in use (consumers on its queues, a live edge) without --force too.
 * PostgreSQL is not touched: a namespace shares its database with whoever set DATABASE_URL.
 */
import amqplib, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { deleteNamespaceObjects, findNamespaceObjects, type NamespaceObjects } from '@chat/broker';
import { ConfigError, loadConfig, sharedEnv } from '@chat/config';
import { topologyNames } from '@chat/contracts';
import { deleteKeysWithPrefix } from '@chat/redis';
import { readNamespaceArgs, UsageError, type NamespaceArgs } from './support/namespace-args';
import {
  countNamespaceKeys,
  listNamespaces,
  namespaceEdgeNodes,
  ownsKey,
} from './support/namespace-redis';

const USAGE = `Usage: npm run namespace -- list [<ns>] | delete <ns> [--force]

  list            namespaces that have Redis keys here (RabbitMQ cannot list without its
                  management plugin), with their key counts and live edges
  list <ns>       its queues (messages, consumers), exchanges and Redis keys: what delete removes
  delete <ns>     deletes them: every send partition, chat.offline, chat.bookings, their .dlq and
                  .replacing queues, the edge queues Redis knows of, our exchanges, and every
                  Redis key under the namespace's prefix
  --force         also delete a namespace in use (consumers, live edges), or '' (unprefixed:
                  production's)

<ns> '' is the unprefixed namespace. RABBITMQ_URL, REDIS_URL and CHAT_PARTITIONS as the services
read them.`;

const label = (namespace: string) => (namespace === '' ? "'' (unprefixed)" : namespace);

interface Clients {
  rabbit: ChannelModel;
  redis: Redis;
  partitions: number;
}

async function inspect(clients: Clients, namespace: string) {
  const names = topologyNames(namespace);
  const edges = await namespaceEdgeNodes(clients.redis, namespace);
  const objects = await findNamespaceObjects(clients.rabbit, names, {
    partitions: clients.partitions,
    edgeNodes: edges.nodes,
  });
  const keys = await countNamespaceKeys(clients.redis, namespace);
  return { names, edges, objects, keys };
}

/** Why the namespace counts as in use; empty when it does not. */
function inUse(objects: NamespaceObjects, aliveEdges: string[]): string[] {
  return [
    ...objects.queues
      .filter((queue) => queue.consumers > 0)
      .map((queue) => `${queue.name} has ${queue.consumers} consumer(s)`),
    ...objects.lockedQueues.map((queue) => `${queue} is held by a running edge`),
    ...aliveEdges.map((node) => `edge ${node} announces itself alive`),
  ];
}

async function list(clients: Clients, namespace: string | undefined): Promise<void> {
  if (namespace === undefined) {
    const found = await listNamespaces(clients.redis);
    if (found.length === 0) console.log('no namespace has Redis keys here');
    for (const { namespace: each, keys } of found) {
      const { alive } = await namespaceEdgeNodes(clients.redis, each);
      console.log(`${label(each)}\t${keys} Redis keys\t${alive.length} live edge(s)`);
    }
    return;
  }
  const { names, edges, objects, keys } = await inspect(clients, namespace);
  console.log(`namespace ${label(namespace)}:`);
  for (const queue of objects.queues) {
    console.log(`  queue ${queue.name}\t${queue.messages} ready\t${queue.consumers} consumer(s)`);
  }
  for (const queue of objects.lockedQueues) console.log(`  queue ${queue}\theld by a running edge`);
  for (const exchange of objects.exchanges) console.log(`  exchange ${exchange}`);
  console.log(`  ${keys} Redis keys under ${names.redisKeyPrefix}`);
  console.log(
    `  edges known: ${edges.nodes.join(', ') || 'none'}; alive: ${edges.alive.join(', ') || 'none'}`,
  );
}

async function remove(clients: Clients, namespace: string, force: boolean): Promise<boolean> {
  const { names, edges, objects } = await inspect(clients, namespace);
  const busy = inUse(objects, edges.alive);
  if (busy.length > 0 && !force) {
    console.error(
      `namespace: ${label(namespace)} is in use: ${busy.join('; ')}. Stop its services first, or add --force.`,
    );
    return false;
  }
  const { deleted, failed } = await deleteNamespaceObjects(clients.rabbit, objects);
  const keys = await deleteKeysWithPrefix(
    clients.redis,
    names.redisKeyPrefix,
    (key) => !ownsKey(namespace)(key),
  );
  for (const name of deleted) console.log(`deleted ${name}`);
  for (const { name, reason } of failed)
    console.error(`namespace: could not delete ${name}: ${reason}`);
  console.log(
    `namespace ${label(namespace)}: ${deleted.length} queues and exchanges and ${keys} Redis keys deleted${failed.length ? `, ${failed.length} left` : ''}`,
  );
  return failed.length === 0;
}

async function main(): Promise<void> {
  let args: NamespaceArgs;
  let config: { rabbitmqUrl: string; redisUrl: string; partitions: number };
  try {
    args = readNamespaceArgs(process.argv.slice(2));
    config = loadConfig({
      rabbitmqUrl: sharedEnv.rabbitmqUrl,
      redisUrl: sharedEnv.redisUrl,
      partitions: sharedEnv.partitions,
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      console.error(`namespace: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
  const rabbit = await amqplib.connect(config.rabbitmqUrl);
  // A refused declare closes its channel with an error event; the rejected call reports it.
  rabbit.on('error', () => undefined);
  const clients = { rabbit, redis, partitions: config.partitions };
  try {
    if (args.command === 'list') await list(clients, args.namespace);
    else if (!(await remove(clients, args.namespace!, args.force))) process.exitCode = 1;
  } finally {
    await rabbit.close().catch(() => undefined);
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`namespace: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
