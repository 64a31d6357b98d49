import { AppError } from '@chat/errors';
import type { RedisClient } from './create-redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimit {
  /** Takes one point for `key`; throws RateLimitedError (RATE_LIMITED) when its window is spent. */
  take(key: string): Promise<void>;
}

export interface RateLimitOptions {
  /** Names the budget in Redis keys (`rl:<name>:<key>`), so budgets never share points. */
  name: string;
  /** Points per window. */
  points: number;
  windowSec: number;
  /** What is being limited, for the error message ("Too many <what>, …"); default 'requests'. */
  what?: string;
}

/** RATE_LIMITED, with how long until the budget has a point again (for Retry-After). */
export class RateLimitedError extends AppError {
  constructor(
    readonly retryAfterSec: number,
    what: string,
  ) {
    super('RATE_LIMITED', `Too many ${what}, try again in ${retryAfterSec} s`);
    this.name = 'RateLimitedError';
  }
}

/**
 * A per-key budget shared by every process through Redis. While Redis is unreachable each
 * process falls back to its own in-memory budget rather than refusing everything.
 */
export function createRateLimit(client: RedisClient, options: RateLimitOptions): RateLimit {
  const { redis } = client;
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `rl:${options.name}`,
    points: options.points,
    duration: options.windowSec,
    // While Redis is away, fall back at once instead of after ioredis gave up on the command
    // (tens of seconds of stalled sends in the fault suite's Redis cut).
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({
      points: options.points,
      duration: options.windowSec,
    }),
  });
  return rateLimitOf(limiter, options.what);
}

/**
 * A per-key budget kept in this process only, for keys that live in one process anyway (a
 * socket's id): no Redis round trip, and nothing to share. A key costs memory only from its
 * first point until its window ends.
 */
export function createLocalRateLimit(options: RateLimitOptions): RateLimit {
  const limiter = new RateLimiterMemory({
    keyPrefix: `rl:${options.name}`,
    points: options.points,
    duration: options.windowSec,
  });
  return rateLimitOf(limiter, options.what);
}

function rateLimitOf(
  limiter: { consume(key: string): Promise<RateLimiterRes> },
  what = 'requests',
): RateLimit {
  return {
    async take(key) {
      try {
        await limiter.consume(key);
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)), what);
        }
        throw error;
      }
    },
  };
}
