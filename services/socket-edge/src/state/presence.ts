import type { Redis } from '@chat/redis';
import { createTurnBatcher } from '../realtime/turn-batcher';

/**
 * Who is online, across every edge node: a Redis set per user of "<nodeId>|<socketId>". Each
 * node refreshes the TTL of its users' sets, so the sockets of a node that died without
 * cleaning up expire instead of keeping users online forever.
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
  /** Whether the user has a socket anywhere; the questions of one turn share one pipeline. */
  isOnline(userId: string): Promise<boolean>;
  /** Re-arms the TTL of these users' sets; call it more often than `ttlSec`. */
  refresh(userIds: Iterable<string>): Promise<void>;
}

export type Admission =
  { admitted: true; firstSocket: boolean } | { admitted: false; sockets: number };

type PresenceCommands = Redis & {
  /** The user's socket count after adding, or minus the count when `cap` (> 0) refused it. */
  presenceAdd(key: string, member: string, ttlSec: number, cap: number): Promise<number>;
  presenceRemove(key: string, member: string): Promise<[number, number]>;
};

export function createPresence(redis: Redis, nodeId: string, ttlSec = 90): Presence {
  const commands = redis as PresenceCommands;
  // One script call each instead of MULTI + three commands + EXEC: atomic all the same (two
  // nodes adding a user's first sockets at once still see 1 and 2), a fifth of the commands.
  if (!('presenceAdd' in redis)) {
    redis.defineCommand('presenceAdd', {
      numberOfKeys: 1,
      lua: `local cap = tonumber(ARGV[3])
            if cap > 0 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
              local sockets = redis.call('SCARD', KEYS[1])
              if sockets >= cap then return -sockets end
            end
            redis.call('SADD', KEYS[1], ARGV[1])
            redis.call('EXPIRE', KEYS[1], ARGV[2])
            return redis.call('SCARD', KEYS[1])`,
    });
    redis.defineCommand('presenceRemove', {
      numberOfKeys: 1,
      lua: `local removed = redis.call('SREM', KEYS[1], ARGV[1])
            return { removed, redis.call('SCARD', KEYS[1]) }`,
    });
  }
  const key = (userId: string) => `presence:${userId}`;
  const member = (socketId: string) => `${nodeId}|${socketId}`;
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
      const sockets = await commands.presenceAdd(key(userId), member(socketId), ttlSec, 0);
      return { firstSocket: sockets === 1 };
    },
    async admit(userId, socketId, maxSockets) {
      if (redis.status !== 'ready') throw new Error(`Redis is not connected (${redis.status})`);
      const sockets = await commands.presenceAdd(key(userId), member(socketId), ttlSec, maxSockets);
      return sockets < 0
        ? { admitted: false, sockets: -sockets }
        : { admitted: true, firstSocket: sockets === 1 };
    },
    async remove(userId, socketId) {
      const [removed, left] = await commands.presenceRemove(key(userId), member(socketId));
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
