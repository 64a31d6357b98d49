import type { Redis, RedisClient } from '@chat/redis';
import type { Logger } from '@chat/observability';
import { memberPrefix, presenceKeys } from './presence';

/**
 * Clears the presence of edge nodes that died without cleaning up (SIGKILL, a lost host):
 * every `intervalMs` one node (whichever takes the lock) looks for registered nodes whose alive
 * key is gone (node-liveness.ts), removes their members from the presence sets of the users in
 * their index, calls `onUserOffline` for each user left with no socket anywhere (partners hear
 * `user-offline` as after a last disconnect), then forgets the node. Each step is idempotent:
 * a reap cut short is finished by the next one, and a user is reported once (the member is
 * removed and the emptiness seen in one script).
 */
export interface DeadNodeReaper {
  stop(): void;
}

/** Users of a dead node handled at once: one SSCAN page, its scripts in one write. */
const USERS_PER_BATCH = 500;

type ReaperCommands = Redis & {
  /**
   * The user's socket count after removing the dead node's members, or -1 when there was none
   * of them (or the node is alive again: a node cut off from Redis for a while, not dead).
   */
  presenceReap(userKey: string, aliveKey: string, nodePrefix: string): Promise<number>;
  /** Forgets a dead node's index and registry entry unless it announced itself again. */
  presenceForgetNode(
    aliveKey: string,
    nodeUsersKey: string,
    nodesKey: string,
    nodeId: string,
  ): Promise<number>;
};

export function startDeadNodeReaper(deps: {
  redis: RedisClient;
  nodeId: string;
  intervalMs: number;
  onUserOffline(userId: string): Promise<unknown>;
  logger: Logger;
}): DeadNodeReaper {
  const { redis } = deps.redis;
  const log = deps.logger.child({ module: 'edge:reaper' });
  const commands = redis as ReaperCommands;
  if (!('presenceReap' in redis)) {
    redis.defineCommand('presenceReap', {
      numberOfKeys: 2,
      lua: `if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
            local prefix = ARGV[1]
            local removed = 0
            for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              if string.sub(member, 1, #prefix) == prefix then
                redis.call('SREM', KEYS[1], member)
                removed = removed + 1
              end
            end
            if removed == 0 then return -1 end
            return redis.call('SCARD', KEYS[1])`,
    });
    redis.defineCommand('presenceForgetNode', {
      numberOfKeys: 3,
      lua: `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('DEL', KEYS[2])
            redis.call('SREM', KEYS[3], ARGV[1])
            return 1`,
    });
  }

  async function reapNode(deadNodeId: string): Promise<void> {
    const aliveKey = presenceKeys.nodeAlive(deadNodeId);
    const usersKey = presenceKeys.nodeUsers(deadNodeId);
    let cursor = '0';
    let offline = 0;
    do {
      const [next, users] = await redis.sscan(usersKey, cursor, 'COUNT', USERS_PER_BATCH);
      cursor = next;
      const left = await Promise.all(
        users.map((userId) =>
          commands.presenceReap(presenceKeys.user(userId), aliveKey, memberPrefix(deadNodeId)),
        ),
      );
      const gone = users.filter((_, index) => left[index] === 0);
      offline += gone.length;
      await Promise.all(
        gone.map((userId) =>
          deps
            .onUserOffline(userId)
            .catch((error: unknown) =>
              log.error({ err: error, userId }, 'user-offline of a dead node not told'),
            ),
        ),
      );
    } while (cursor !== '0');
    const forgotten = await commands.presenceForgetNode(
      aliveKey,
      usersKey,
      presenceKeys.nodes,
      deadNodeId,
    );
    log.warn(
      { deadNodeId, usersOffline: offline, forgotten: forgotten === 1 },
      'presence of a dead edge node reaped',
    );
  }

  async function reapOnce(): Promise<void> {
    // Not released, held for half an interval: the cluster's rounds are at least that far
    // apart, and the holder's next round always finds it free (a lock as long as the interval
    // could, by a few ms of timer drift, make every node skip a round and stretch the bound).
    // Rounds that overlap, on a slow reap, do no harm: each step is idempotent.
    const lock = await redis.set(
      presenceKeys.reaperLock,
      deps.nodeId,
      'PX',
      Math.ceil(deps.intervalMs / 2),
      'NX',
    );
    if (lock !== 'OK') return;
    const nodes = (await redis.smembers(presenceKeys.nodes)).filter((node) => node !== deps.nodeId);
    if (nodes.length === 0) return;
    const alive = await Promise.all(
      nodes.map((node) => redis.exists(presenceKeys.nodeAlive(node))),
    );
    for (const [index, node] of nodes.entries()) {
      if (alive[index] === 0) await reapNode(node);
    }
  }

  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= reapOnce()
      .catch((error: unknown) => log.warn({ err: error }, 'reaping dead nodes failed'))
      .finally(() => (running = undefined));
  }, deps.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
