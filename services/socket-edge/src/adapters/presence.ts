import type { Redis, RedisClient } from '@chat/redis';
import { createTurnBatcher } from '../domain/turn-batcher';

/**
 * Who is online, across every edge node: a Redis set per user of "<nodeId>|<socketId>". Each
 * node also keeps an index of the users it has sockets for (`presenceKeys.nodeUsers`, kept by
 * the same scripts that add and remove members, so it costs no round trip): when a node dies
 * without cleaning up, the node reaper (dead-node-reaper.ts) removes its members by that index. The
 * TTL each node refreshes on its users' sets is the last resort, for when no node is left.
 */
export interface Presence {
  /** Registers a socket; `firstSocket` is true when the user had no socket anywhere before. */
  add(userId: string, socketId: string): Promise<{ firstSocket: boolean }>;
  /**
   * Registers a socket unless the user already has `maxSockets` anywhere: count and add are
   * one atomic step, so two connects racing for the last place cannot both get it. A refused
   * socket is not registered. Throws at once, without waiting for a reconnect, while Redis is
   * not connected.
   */
  admit(userId: string, socketId: string, maxSockets: number): Promise<Admission>;
  /** Removes a socket; `lastSocket` is true when the user has no socket anywhere now. */
  remove(userId: string, socketId: string): Promise<{ lastSocket: boolean }>;
  /**
   * Whether the user has a socket anywhere; the questions of one turn share one pipeline. The
   * sockets of a node that died count until the node reaper removes them (EDGE_ALIVE_TTL_SEC
   * and a third of it after the death), as they do for `admit`'s count.
   */
  isOnline(userId: string): Promise<boolean>;
  /** Re-arms the TTL of these users' sets; call it more often than `ttlSec`. */
  refresh(userIds: Iterable<string>): Promise<void>;
}

export type Admission =
  { admitted: true; firstSocket: boolean } | { admitted: false; sockets: number };

/** Every presence key, in one place: the node reaper works on the same keys. */
export const presenceKeys = {
  /** The user's set of "<nodeId>|<socketId>". */
  user: (userId: string) => `presence:${userId}`,
  /** The users node `nodeId` has (or had, if it died) sockets for. */
  nodeUsers: (nodeId: string) => `presence-node:users:${nodeId}`,
  /** Exists while node `nodeId` announces it is alive. */
  nodeAlive: (nodeId: string) => `presence-node:alive:${nodeId}`,
  /** Every node that announced itself and has not been reaped. */
  nodes: 'presence-nodes',
  /** Held by the one node reaping dead nodes' presence now. */
  reaperLock: 'presence-node:reaper-lock',
};

/** The start of every presence member of node `nodeId`. */
export const memberPrefix = (nodeId: string) => `${nodeId}|`;

type PresenceCommands = Redis & {
  /** The user's socket count after adding, or minus the count when `cap` (> 0) refused it. */
  presenceAdd(
    key: string,
    nodeUsersKey: string,
    member: string,
    ttlSec: number,
    cap: number,
    userId: string,
  ): Promise<number>;
  presenceRemove(
    key: string,
    nodeUsersKey: string,
    member: string,
    nodePrefix: string,
    userId: string,
  ): Promise<[number, number]>;
};

export function createPresence(client: RedisClient, nodeId: string, ttlSec = 90): Presence {
  const { redis } = client;
  const commands = redis as PresenceCommands;
  // One script call each instead of MULTI + three commands + EXEC: atomic all the same (two
  // nodes adding a user's first sockets at once still see 1 and 2), a fifth of the commands.
  if (!('presenceAdd' in redis)) {
    redis.defineCommand('presenceAdd', {
      numberOfKeys: 2,
      lua: `local cap = tonumber(ARGV[3])
            if cap > 0 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
              local sockets = redis.call('SCARD', KEYS[1])
              if sockets >= cap then return -sockets end
            end
            redis.call('SADD', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            redis.call('SADD', KEYS[2], ARGV[4])
            return redis.call('SCARD', KEYS[1])`,
    });
    // The node's index keeps the user while any of the user's members is this node's. A
    // user's set holds a handful of members (MAX_SOCKETS_PER_USER), so reading it is cheap.
    redis.defineCommand('presenceRemove', {
      numberOfKeys: 2,
      lua: `local removed = redis.call('SREM', KEYS[1], ARGV[1])
            local prefix = ARGV[2]
            local mine = false
            for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              if string.sub(member, 1, #prefix) == prefix then mine = true break end
            end
            if not mine then redis.call('SREM', KEYS[2], ARGV[3]) end
            return { removed, redis.call('SCARD', KEYS[1]) }`,
    });
  }
  const key = presenceKeys.user;
  const nodeUsers = presenceKeys.nodeUsers(nodeId);
  const member = (socketId: string) => `${memberPrefix(nodeId)}${socketId}`;
  // A user's set is deleted with its last member, so existing means online.
  const online = createTurnBatcher(async (userIds: string[]) => {
    const replies = await redis.pipeline(userIds.map((userId) => ['exists', key(userId)])).exec();
    return new Map(
      userIds.map((userId, index) => {
        const [error, exists] = replies?.[index] ?? [new Error('no reply from Redis')];
        if (error) throw error;
        return [userId, exists === 1];
      }),
    );
  });
  return {
    async add(userId, socketId) {
      const sockets = await commands.presenceAdd(
        key(userId),
        nodeUsers,
        member(socketId),
        ttlSec,
        0,
        userId,
      );
      return { firstSocket: sockets === 1 };
    },
    async admit(userId, socketId, maxSockets) {
      if (redis.status !== 'ready') throw new Error(`Redis is not connected (${redis.status})`);
      const sockets = await commands.presenceAdd(
        key(userId),
        nodeUsers,
        member(socketId),
        ttlSec,
        maxSockets,
        userId,
      );
      return sockets < 0
        ? { admitted: false, sockets: -sockets }
        : { admitted: true, firstSocket: sockets === 1 };
    },
    async remove(userId, socketId) {
      const [removed, left] = await commands.presenceRemove(
        key(userId),
        nodeUsers,
        member(socketId),
        memberPrefix(nodeId),
        userId,
      );
      return { lastSocket: removed === 1 && left === 0 };
    },
    isOnline: online,
    async refresh(userIds) {
      const pipeline = redis.pipeline();
      let count = 0;
      for (const userId of userIds) {
        pipeline.expire(key(userId), ttlSec);
        count++;
      }
      if (count > 0) await pipeline.exec();
    },
  };
}
