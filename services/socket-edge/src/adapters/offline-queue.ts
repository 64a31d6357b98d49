import { chatMessageSchema, type ChatMessage } from '@chat/contracts';
import type { Redis, RedisClient } from '@chat/redis';

/**
 * Per-user Redis list of messages that arrived while the user had no socket. Bounded (the
 * oldest fall off; they stay in history and in the unread count) and expiring.
 *
 * Draining is two-phase so nothing is lost when a socket drops right after `connected`: take()
 * moves the list aside atomically, then confirm() deletes it once the client had time to get
 * it, or restore() puts it back in front of anything that arrived meanwhile.
 */
export interface OfflineQueue {
  push(userId: string, message: ChatMessage): Promise<void>;
  take(userId: string, socketId: string): Promise<ChatMessage[]>;
  confirm(userId: string, socketId: string): Promise<void>;
  restore(userId: string, socketId: string): Promise<void>;
}

type OfflineCommands = Redis & {
  offlinePush(queue: string, item: string, cap: number, ttlMs: number): Promise<number>;
  offlineTake(queue: string, taken: string, ttlMs: number): Promise<string[]>;
  offlineRestore(queue: string, taken: string, cap: number, ttlMs: number): Promise<number>;
};

/** Items one RPUSH of offlineTake moves; far below Lua's limit on unpack()ed values. */
const TAKE_CHUNK = 1000;

export function createOfflineQueue(
  client: RedisClient,
  options: { cap: number; ttlSec: number },
): OfflineQueue {
  const { redis } = client;
  const commands = redis as OfflineCommands;
  if (!('offlinePush' in redis)) {
    redis.defineCommand('offlinePush', {
      numberOfKeys: 1,
      lua: `redis.call('RPUSH', KEYS[1], ARGV[1])
            redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 1`,
    });
    // unpack() puts every item on Lua's C stack, which holds about 8,000: the items move in
    // slices of TAKE_CHUNK, so a queue of any length can be taken.
    redis.defineCommand('offlineTake', {
      numberOfKeys: 2,
      lua: `local items = redis.call('LRANGE', KEYS[1], 0, -1)
            if #items > 0 then
              redis.call('DEL', KEYS[1])
              for first = 1, #items, ${TAKE_CHUNK} do
                local last = math.min(first + ${TAKE_CHUNK - 1}, #items)
                redis.call('RPUSH', KEYS[2], unpack(items, first, last))
              end
              redis.call('PEXPIRE', KEYS[2], ARGV[1])
            end
            return items`,
    });
    redis.defineCommand('offlineRestore', {
      numberOfKeys: 2,
      lua: `local items = redis.call('LRANGE', KEYS[2], 0, -1)
            for i = #items, 1, -1 do redis.call('LPUSH', KEYS[1], items[i]) end
            redis.call('DEL', KEYS[2])
            if #items > 0 then
              redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return #items`,
    });
  }
  const ttlMs = options.ttlSec * 1000;
  const queueKey = (userId: string) => `offline:${userId}`;
  const takenKey = (userId: string, socketId: string) => `offline:${userId}:taken:${socketId}`;
  return {
    async push(userId, message) {
      await commands.offlinePush(queueKey(userId), JSON.stringify(message), options.cap, ttlMs);
    },
    async take(userId, socketId) {
      const items = await commands.offlineTake(queueKey(userId), takenKey(userId, socketId), ttlMs);
      return uniqueMessages(items);
    },
    async confirm(userId, socketId) {
      await redis.del(takenKey(userId, socketId));
    },
    async restore(userId, socketId) {
      await commands.offlineRestore(
        queueKey(userId),
        takenKey(userId, socketId),
        options.cap,
        ttlMs,
      );
    },
  };
}

/** Parses the stored items, skipping any that are not messages and repeats of one id. */
function uniqueMessages(items: string[]): ChatMessage[] {
  const seen = new Set<string>();
  const messages: ChatMessage[] = [];
  for (const item of items) {
    let parsed;
    try {
      parsed = chatMessageSchema.safeParse(JSON.parse(item));
    } catch {
      continue;
    }
    if (!parsed.success || seen.has(parsed.data.id)) continue;
    seen.add(parsed.data.id);
    messages.push(parsed.data);
  }
  return orderWithinConversations(messages);
}

/**
 * Keeps arrival order between conversations but puts each conversation's messages in seq
 * order, in case concurrent pushes landed slightly out of order.
 */
function orderWithinConversations(messages: ChatMessage[]): ChatMessage[] {
  const byConversation = new Map<string, ChatMessage[]>();
  for (const message of messages) {
    const list = byConversation.get(message.conversationId) ?? [];
    list.push(message);
    byConversation.set(message.conversationId, list);
  }
  for (const list of byConversation.values()) list.sort((a, b) => a.seq - b.seq);
  return messages.map((message) => byConversation.get(message.conversationId)!.shift()!);
}
