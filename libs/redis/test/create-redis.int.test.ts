import { Redis } from 'ioredis';
import { createLogger } from '@chat/observability';
import { createRedis } from '@chat/redis';
import { testNamespace, testServiceUrls } from '@chat/testing';

const logger = createLogger({ service: 'test', level: 'silent' });

function withDatabaseIndex(url: string, index: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${index}`;
  return parsed.toString();
}

describe('createRedis', () => {
  const prefix = `${testNamespace('redis')}:chat:`;

  it('when a key is written, then it lands under the namespace prefix in the database the URL names', async () => {
    const url = withDatabaseIndex(testServiceUrls().redisUrl, 3);
    const client = createRedis({ url, keyPrefix: prefix }, logger);
    const plainDb3 = new Redis(url, { lazyConnect: true });
    const plainDb0 = new Redis(withDatabaseIndex(url, 0), { lazyConnect: true });
    try {
      await client.ping();
      await client.redis.set('greeting', 'hello', 'EX', 60);
      expect(await plainDb3.get(`${prefix}greeting`)).toBe('hello');
      expect(await plainDb0.get(`${prefix}greeting`)).toBeNull();
    } finally {
      await plainDb3.unlink(`${prefix}greeting`);
      plainDb3.disconnect();
      plainDb0.disconnect();
      await client.close();
    }
  });

  it('when closed twice, then both calls resolve', async () => {
    const client = createRedis({ url: testServiceUrls().redisUrl, keyPrefix: prefix }, logger);
    await client.ping();
    await Promise.all([client.close(), client.close()]);
    await client.close();
  });

  it('when Redis does not answer, then ping rejects with a message naming it instead of hanging', async () => {
    const client = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: prefix }, logger);
    await expect(client.ping()).rejects.toThrow(/^Redis is not reachable at 127\.0\.0\.1:1\/0: /);
    await client.close();
  });
});
