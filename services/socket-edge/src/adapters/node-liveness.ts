import type { Redis, RedisClient } from '@chat/redis';
import type { Logger } from '@chat/observability';
import { presenceKeys } from './presence';

/**
 * This node's announcement that it is alive: a key with a short TTL (`aliveTtlMs`), set again
 * every third of it, and its name in the registry of nodes the reaper looks at. A node that
 * stops announcing (killed, frozen, cut off from Redis) is reaped by the others; one that then
 * finds its key gone was taken for dead, and `onRevived` registers its sockets again.
 */
export interface NodeLiveness {
  /** Stops announcing and withdraws the key: the reaper clears whatever clean-up left behind. */
  stop(): Promise<void>;
}

type LivenessCommands = Redis & {
  /** 1 when the alive key still existed, 0 when it had expired (or this is the first beat). */
  nodeHeartbeat(
    aliveKey: string,
    nodesKey: string,
    nodeUsersKey: string,
    nodeId: string,
    aliveTtlMs: number,
    indexTtlSec: number,
  ): Promise<number>;
};

export async function startNodeLiveness(deps: {
  redis: RedisClient;
  nodeId: string;
  aliveTtlMs: number;
  /** The TTL of presence sets: the node's user index lives as long after its last beat. */
  presenceTtlSec: number;
  /** Called when this node finds it was taken for dead; its presence members may be gone. */
  onRevived(): Promise<void>;
  logger: Logger;
}): Promise<NodeLiveness> {
  const { nodeId } = deps;
  const { redis } = deps.redis;
  const log = deps.logger.child({ module: 'edge:liveness' });
  const commands = redis as LivenessCommands;
  if (!('nodeHeartbeat' in redis)) {
    redis.defineCommand('nodeHeartbeat', {
      numberOfKeys: 3,
      lua: `local existed = redis.call('EXISTS', KEYS[1])
            redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
            redis.call('SADD', KEYS[2], ARGV[1])
            redis.call('EXPIRE', KEYS[3], ARGV[3])
            return existed`,
    });
  }
  const aliveKey = presenceKeys.nodeAlive(nodeId);
  const beat = () =>
    commands.nodeHeartbeat(
      aliveKey,
      presenceKeys.nodes,
      presenceKeys.nodeUsers(nodeId),
      nodeId,
      deps.aliveTtlMs,
      deps.presenceTtlSec,
    );

  // Before any socket registers: a node is in the registry from its first presence member on.
  await beat();
  let reviving = false;
  const timer = setInterval(() => {
    beat().then(
      async (existed) => {
        if (existed === 1 || reviving) return;
        reviving = true;
        log.warn(
          'this node was taken for dead (its alive key had expired): registering its sockets again',
        );
        await deps
          .onRevived()
          .catch((error: unknown) => log.error({ err: error }, 'registering sockets again failed'))
          .finally(() => (reviving = false));
      },
      (error: unknown) => log.warn({ err: error }, 'alive announcement failed'),
    );
  }, deps.aliveTtlMs / 3);
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      await redis.del(aliveKey);
    },
  };
}
