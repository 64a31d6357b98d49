import type { Redis } from 'ioredis';

/**
 * Every key starting with `prefix`, a page at a time (SCAN, so Redis is never blocked). Give a
 * client without a keyPrefix: ioredis does not prefix SCAN's pattern.
 */
export async function* scanKeysWithPrefix(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  // Glob characters in a prefix would widen the match; ours have none, but a key must still
  // really start with the prefix to count.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    const page = keys.filter((key) => key.startsWith(prefix));
    if (page.length > 0) yield page;
    cursor = next;
  } while (cursor !== '0');
}

/**
 * UNLINKs every key starting with `prefix` for which `keep` is false (default: none kept);
 * resolves with how many were deleted.
 */
export async function deleteKeysWithPrefix(
  redis: Redis,
  prefix: string,
  keep: (key: string) => boolean = () => false,
): Promise<number> {
  let deleted = 0;
  for await (const page of scanKeysWithPrefix(redis, prefix)) {
    const doomed = page.filter((key) => !keep(key));
    if (doomed.length > 0) deleted += await redis.unlink(...doomed);
  }
  return deleted;
}
