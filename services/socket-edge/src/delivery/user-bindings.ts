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

/** Channels the bindings are spread over; default of `createUserBindings`' `channels`. */
const BINDING_CHANNELS = 8;

export function createUserBindings(deps: {
  broker: Broker;
  names: TopologyNames;
  nodeId: string;
  logger: Logger;
  /**
   * Channels the bind and unbind requests are spread over; default 8. A channel answers one
   * request at a time, so with one a reconnecting crowd waits in a single line (about 2,000
   * binds/s); a user always uses the same channel, so their bind and unbind stay in order.
   */
  channels?: number;
}): UserBindings {
  const { broker, names } = deps;
  const log = deps.logger.child({ module: 'edge:bindings' });
  const queue = names.edgeQueue(deps.nodeId);
  const lanes = Math.max(1, deps.channels ?? BINDING_CHANNELS);
  const sockets = new Map<string, number>();

  const bind = (userId: string, on: boolean) =>
    broker
      .withChannel(
        (channel) =>
          on
            ? channel.bindQueue(queue, names.deliveryExchange, userRoutingKey(userId))
            : channel.unbindQueue(queue, names.deliveryExchange, userRoutingKey(userId)),
        { lane: laneOf(userId, lanes) },
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

/** A user's channel: the same for every call, spread evenly enough (FNV-1a). */
function laneOf(userId: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index++) {
    hash = Math.imul(hash ^ userId.charCodeAt(index), 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
