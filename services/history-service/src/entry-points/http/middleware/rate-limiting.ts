import type { RequestHandler } from 'express';
import type { RateLimit } from '@chat/redis';
import { callerOf } from './authentication';

/** One point of the caller's budget per request; 429 RATE_LIMITED with Retry-After when spent. */
export function createRateLimiting(rateLimit: RateLimit): RequestHandler {
  return async (_req, res, next) => {
    await rateLimit.take(callerOf(res).userId);
    next();
  };
}
