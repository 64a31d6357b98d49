import type { Redis } from '@chat/redis';

/**
 * Who is online, across every edge node: a Redis set per user of "<nodeId>|<socketId>". Each
 * node refreshes the TTL of its users' sets, so the sockets of a node that died without
 * cleaning up expire instead of keeping users online forever.
 */
export interface Presence {
  /** Registers a socket; `firstSocket` is true when the user had no socket anywhere before. */
  add(userId: string, socketId: string): Promise<{ firstSocket: boolean }>;
  /** Removes a socket; `lastSocket` is true when the user has no socket anywhere now. */
  remove(userId: string, socketId: string): Promise<{ lastSocket: boolean }>;
  isOnline(userId: string): Promise<boolean>;
  /** Re-arms the TTL of these users' sets; call it more often than `ttlSec`. */
  refresh(userIds: Iterable<string>): Promise<void>;
}

export function createPresence(redis: Redis, nodeId: string, ttlSec = 90): Presence {
  const key = (userId: string) => `presence:${userId}`;
  const member = (socketId: string) => `${nodeId}|${socketId}`;
  return {
    async add(userId, socketId) {
      const result = await redis
        .multi()
        .sadd(key(userId), member(socketId))
        .expire(key(userId), ttlSec)
        .scard(key(userId))
        .exec();
      return { firstSocket: result?.[2]?.[1] === 1 };
    },
    async remove(userId, socketId) {
      const result = await redis
        .multi()
        .srem(key(userId), member(socketId))
        .scard(key(userId))
        .exec();
      const removed = result?.[0]?.[1] === 1;
      return { lastSocket: removed && result?.[1]?.[1] === 0 };
    },
    async isOnline(userId) {
      return (await redis.scard(key(userId))) > 0;
    },
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
