import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '@chat/contracts';
import { createLogger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import { testNamespace, testServiceUrls } from '@chat/testing';
import { createOfflineQueue } from '../src/adapters/offline-queue';

const message = (conversationId: string, seq: number): ChatMessage => ({
  id: randomUUID(),
  conversationId,
  senderId: 'a',
  receiverId: 'b',
  message: `m${seq}`,
  timestamp: new Date().toISOString(),
  read: false,
  seq,
  clientMessageId: randomUUID(),
});

describe('offline queue', () => {
  let client: RedisClient;

  beforeAll(async () => {
    client = createRedis(
      { url: testServiceUrls().redisUrl, keyPrefix: `${testNamespace('offline')}:` },
      createLogger({ service: 'test', level: 'silent' }),
    );
    await client.ping();
  });
  afterAll(async () => {
    await client.close();
  });

  it('when more than the cap arrive, then the newest are kept, oldest first', async () => {
    const queue = createOfflineQueue(client, { cap: 3, ttlSec: 60 });
    const user = randomUUID();
    for (let seq = 1; seq <= 5; seq++) await queue.push(user, message('a_b', seq));
    expect((await queue.take(user, 's1')).map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it('when taken and confirmed, then the queue is empty; when taken and restored, then everything is back in front of newer messages', async () => {
    const queue = createOfflineQueue(client, { cap: 10, ttlSec: 60 });
    const user = randomUUID();
    await queue.push(user, message('a_b', 1));
    await queue.push(user, message('a_b', 2));
    expect(await queue.take(user, 's1')).toHaveLength(2);
    await queue.push(user, message('a_b', 3));
    await queue.restore(user, 's1');
    const again = await queue.take(user, 's2');
    expect(again.map((m) => m.seq)).toEqual([1, 2, 3]);
    await queue.confirm(user, 's2');
    expect(await queue.take(user, 's3')).toEqual([]);
    await queue.restore(user, 's2'); // nothing left to restore after a confirm
    expect(await queue.take(user, 's4')).toEqual([]);
  });

  it('when messages of one conversation were pushed out of order or twice, then take gives each once in seq order', async () => {
    const queue = createOfflineQueue(client, { cap: 10, ttlSec: 60 });
    const user = randomUUID();
    const second = message('a_b', 2);
    await queue.push(user, second);
    await queue.push(user, message('c_d', 7));
    await queue.push(user, message('a_b', 1));
    await queue.push(user, second);
    await client.redis.rpush(`offline:${user}`, 'not json', JSON.stringify({ id: 'x' }));
    const taken = await queue.take(user, 's1');
    expect(taken.map((m) => `${m.conversationId}:${m.seq}`)).toEqual(['a_b:1', 'c_d:7', 'a_b:2']);
  });

  it('when pushed, then the queue expires after its TTL', async () => {
    const queue = createOfflineQueue(client, { cap: 10, ttlSec: 60 });
    const user = randomUUID();
    await queue.push(user, message('a_b', 1));
    const ttl = await client.redis.pttl(`offline:${user}`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('when the queue holds more items than Lua can unpack at once, then take, restore and confirm still move all of them', async () => {
    const count = 10_000;
    const queue = createOfflineQueue(client, { cap: count, ttlSec: 60 });
    const user = randomUUID();
    const items = Array.from({ length: count }, (_, i) => JSON.stringify(message('a_b', i + 1)));
    for (let first = 0; first < count; first += 1000) {
      await client.redis.rpush(`offline:${user}`, ...items.slice(first, first + 1000));
    }

    const taken = await queue.take(user, 's1');
    expect(taken).toHaveLength(count);
    expect(taken.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(await client.redis.llen(`offline:${user}`)).toBe(0);
    expect(await client.redis.llen(`offline:${user}:taken:s1`)).toBe(count);

    await queue.restore(user, 's1');
    const again = await queue.take(user, 's2');
    expect(again.map((m) => m.id)).toEqual(taken.map((m) => m.id));
    await queue.confirm(user, 's2');
    expect(await queue.take(user, 's3')).toEqual([]);
  });
});
