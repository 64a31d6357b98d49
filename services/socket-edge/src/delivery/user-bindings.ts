import type { Broker, TopologySetup } from '@chat/broker';
import { userRoutingKey, type TopologyNames } from '@chat/contracts';
import type { Logger } from '@chat/observability';

/**
 * This node's delivery queue and its bindings: `user.<id>` is bound while the user has at
 * least one socket here. The queue is exclusive to this node's connection; after a reconnect
 * `topology` declares it again and re-binds every local user.
 */
export interface UserBindings {
  readonly queue: string;
  readonly topology: TopologySetup;
  /** Counts a local socket of the user; binds on the first. Resolves once bound. */
  addSocket(userId: string): Promise<void>;
  /** Uncounts one; unbinds after the last. */
  removeSocket(userId: string): Promise<void>;
  localSocketCount(userId: string): number;
  localUsers(): IterableIterator<string>;
}

export function createUserBindings(deps: {
  broker: Broker;
  names: TopologyNames;
  nodeId: string;
  logger: Logger;
}): UserBindings {
  const { broker, names } = deps;
  const log = deps.logger.child({ module: 'edge:bindings' });
  const queue = names.edgeQueue(deps.nodeId);
  const sockets = new Map<string, number>();

  const bind = (userId: string, on: boolean) =>
    broker
      .withChannel((channel) =>
        on
          ? channel.bindQueue(queue, names.deliveryExchange, userRoutingKey(userId))
          : channel.unbindQueue(queue, names.deliveryExchange, userRoutingKey(userId)),
      )
      .then(
        () => undefined,
        // While disconnected, the reconnect's topology setup binds from `sockets` anyway.
        (error: unknown) => log.warn({ err: error, userId, bind: on }, 'binding change failed'),
      );

  return {
    queue,
    async topology(channel) {
      await channel.assertQueue(queue, { exclusive: true, durable: false, autoDelete: true });
      for (const userId of sockets.keys()) {
        await channel.bindQueue(queue, names.deliveryExchange, userRoutingKey(userId));
      }
    },
    async addSocket(userId) {
      const count = (sockets.get(userId) ?? 0) + 1;
      sockets.set(userId, count);
      if (count === 1) await bind(userId, true);
    },
    async removeSocket(userId) {
      const count = (sockets.get(userId) ?? 0) - 1;
      if (count > 0) {
        sockets.set(userId, count);
        return;
      }
      sockets.delete(userId);
      await bind(userId, false);
    },
    localSocketCount: (userId) => sockets.get(userId) ?? 0,
    localUsers: () => sockets.keys(),
  };
}
