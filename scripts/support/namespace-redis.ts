import type { Redis } from 'ioredis';
import { redisKeyNamespace, topologyNames } from '@chat/contracts';
import { scanKeysWithPrefix } from '@chat/redis';
import { presenceKeys } from '../../services/socket-edge/src/adapters/presence';

/** A namespace as Redis shows it; '' is the unprefixed one. */
export interface NamespaceKeys {
  namespace: string;
  keys: number;
}

/**
 * Every namespace that has keys in this Redis database, with their counts. RabbitMQ cannot list
 * its queues without the management plugin, so a namespace with no key left is not found here.
 */
export async function listNamespaces(redis: Redis): Promise<NamespaceKeys[]> {
  const counts = new Map<string, number>();
  // Every key of ours contains "chat:"; SCAN walks the whole keyspace anyway.
  for await (const page of scanKeysWithPrefix(redis, '')) {
    for (const key of page) {
      const namespace = redisKeyNamespace(key);
      if (namespace !== undefined) counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([namespace, keys]) => ({ namespace, keys }))
    .sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/** The keys of exactly `namespace`: the unprefixed one's `chat:` also starts namespace "chat"'s keys. */
export function ownsKey(namespace: string): (key: string) => boolean {
  return (key) => redisKeyNamespace(key) === namespace;
}

export async function countNamespaceKeys(redis: Redis, namespace: string): Promise<number> {
  const owned = ownsKey(namespace);
  let count = 0;
  for await (const page of scanKeysWithPrefix(redis, topologyNames(namespace).redisKeyPrefix)) {
    count += page.filter(owned).length;
  }
  return count;
}

/**
 * The edge nodes Redis knows of in `namespace`: registered, announcing themselves (alive) or
 * with a user index left behind. Their delivery queues are chat.edge.<node>.
 */
export async function namespaceEdgeNodes(
  redis: Redis,
  namespace: string,
): Promise<{ nodes: string[]; alive: string[] }> {
  const prefix = topologyNames(namespace).redisKeyPrefix;
  const nodes = new Set(await redis.smembers(`${prefix}${presenceKeys.nodes}`));
  const idsUnder = async (keyOf: (node: string) => string) => {
    const start = `${prefix}${keyOf('')}`;
    const ids: string[] = [];
    for await (const page of scanKeysWithPrefix(redis, start)) {
      ids.push(...page.map((key) => key.slice(start.length)));
    }
    return ids;
  };
  const alive = await idsUnder(presenceKeys.nodeAlive);
  for (const node of [...alive, ...(await idsUnder(presenceKeys.nodeUsers))]) nodes.add(node);
  return { nodes: [...nodes].sort(), alive: alive.sort() };
}
