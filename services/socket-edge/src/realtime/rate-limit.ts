import { AppError } from '@chat/errors';
import type { Redis } from '@chat/redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimit {
  /** Takes one point for `key`; throws RATE_LIMITED when its window is spent. */
  take(key: string): Promise<void>;
}

/**
 * A per-user budget shared by every edge node through Redis. While Redis is unreachable each
 * node falls back to its own in-memory budget rather than refusing every send.
 */
export function createRateLimit(
  redis: Redis,
  options: { name: string; points: number; windowSec: number },
): RateLimit {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `rl:${options.name}`,
    points: options.points,
    duration: options.windowSec,
    insuranceLimiter: new RateLimiterMemory({
      points: options.points,
      duration: options.windowSec,
    }),
  });
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          const retryAfterSec = Math.ceil(error.msBeforeNext / 1000);
          throw new AppError('RATE_LIMITED', `Too many messages, try again in ${retryAfterSec} s`);
        }
        throw error;
      }
    },
  };
}
