import { bindQueueBatch, type Broker, type TopologySetup } from '@chat/broker';
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
  /**
   * Counts a local socket of the user; binds on the first. Resolves once the user is bound
   * (also for a later socket whose user's bind is still on its way); a failed bind is logged
   * and resolves too — the next reconnect's topology binds every local user.
   */
  addSocket(userId: string): Promise<void>;
  /** Uncounts one; unbinds after the last. Resolves once that is done (or failed, logged). */
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
   * request at a time; each works through its users' changes one batch after another.
   */
  channels?: number;
}): UserBindings {
  const { broker, names } = deps;
  const log = deps.logger.child({ module: 'edge:bindings' });
  const queue = names.edgeQueue(deps.nodeId);
  const exchange = names.deliveryExchange;
  /** Wanted: users with sockets here, and how many. */
  const sockets = new Map<string, number>();
  /** What the broker has, as far as we know: bound on the current queue. */
  const bound = new Set<string>();
  /** addSocket / removeSocket calls waiting for their user's binding to match `sockets`. */
  const waiting = new Map<string, (() => void)[]>();
  // A user always goes to the same lane, which works on one batch at a time: the broker sees
  // a user's changes in the order they were asked for, and a bind then unbind (then bind …)
  // within one batch becomes just the net change.
  const lanes = Array.from({ length: Math.max(1, deps.channels ?? BINDING_CHANNELS) }, () => ({
    dirty: new Set<string>(),
    working: new Set<string>(),
    running: false,
  }));

  const laneOf = (userId: string) => lanes[hashOf(userId) % lanes.length]!;

  /** Resolves when the user's binding matches what is wanted (or the change failed). */
  const reconcile = (userId: string): Promise<void> =>
    new Promise((resolve) => {
      const waiters = waiting.get(userId);
      if (waiters) waiters.push(resolve);
      else waiting.set(userId, [resolve]);
      const lane = laneOf(userId);
      lane.dirty.add(userId);
      if (!lane.running) {
        lane.running = true;
        // Everything the turn asks for goes in the first batch.
        setImmediate(() => void work(lane));
      }
    });

  async function work(lane: (typeof lanes)[number]): Promise<void> {
    while (lane.dirty.size > 0) {
      const users = [...lane.dirty];
      lane.dirty.clear();
      for (const userId of users) lane.working.add(userId);
      const toBind = users.filter((userId) => sockets.has(userId) && !bound.has(userId));
      const toUnbind = users.filter((userId) => !sockets.has(userId) && bound.has(userId));
      if (toBind.length > 0 || toUnbind.length > 0) {
        await broker
          .withChannel(
            async (channel) => {
              await bindQueueBatch(channel, queue, exchange, toBind.map(userRoutingKey));
              for (const userId of toBind) bound.add(userId);
              for (const userId of toUnbind) {
                await channel.unbindQueue(queue, exchange, userRoutingKey(userId));
                bound.delete(userId);
              }
            },
            { lane: lanes.indexOf(lane) },
          )
          .catch((error: unknown) =>
            // While disconnected, the reconnect's topology setup binds from `sockets` anyway.
            log.warn(
              { err: error, binds: toBind.length, unbinds: toUnbind.length },
              'binding change failed',
            ),
          );
      }
      lane.working.clear();
      for (const userId of users) {
        // Asked again meanwhile: its callers wait for the next batch.
        if (lane.dirty.has(userId)) continue;
        const waiters = waiting.get(userId);
        waiting.delete(userId);
        for (const resolve of waiters ?? []) resolve();
      }
    }
    lane.running = false;
  }

  return {
    queue,
    async topology(channel) {
      await channel.assertQueue(queue, { exclusive: true, durable: false, autoDelete: true });
      // A new queue has no bindings: bind every local user, whatever the lanes thought.
      bound.clear();
      const users = [...sockets.keys()];
      await bindQueueBatch(channel, queue, exchange, users.map(userRoutingKey));
      for (const userId of users) bound.add(userId);
    },
    async addSocket(userId) {
      const count = (sockets.get(userId) ?? 0) + 1;
      sockets.set(userId, count);
      const lane = laneOf(userId);
      if (bound.has(userId) && !lane.dirty.has(userId) && !lane.working.has(userId)) return;
      await reconcile(userId);
    },
    async removeSocket(userId) {
      const count = (sockets.get(userId) ?? 0) - 1;
      if (count > 0) {
        sockets.set(userId, count);
        return;
      }
      sockets.delete(userId);
      await reconcile(userId);
    },
    localSocketCount: (userId) => sockets.get(userId) ?? 0,
    localUsers: () => sockets.keys(),
  };
}

/** FNV-1a: a user's lane, the same for every call and spread evenly enough. */
function hashOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < userId.length; index++) {
    hash = Math.imul(hash ^ userId.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}
