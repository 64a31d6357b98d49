import { toAppError, type ErrorCode } from '@chat/errors';
import { RateLimitedError } from '@chat/redis';

/** What a refused handshake carries to the client's `connect_error` as `data`. */
export interface HandshakeRefusalData {
  code: ErrorCode;
  /** With RATE_LIMITED: seconds until a connect may succeed again. */
  retryAfterSec?: number;
}

/**
 * An error for a Socket.IO middleware's `next`: the client's `connect_error` gets its message
 * and `data` (the code, and when to retry after RATE_LIMITED), as the auth middleware does.
 */
export function handshakeRefusal(error: unknown): Error & { data: HandshakeRefusalData } {
  const coded = toAppError(error);
  const refusal = new Error(coded.message) as Error & { data: HandshakeRefusalData };
  refusal.data = {
    code: coded.code,
    ...(error instanceof RateLimitedError && { retryAfterSec: error.retryAfterSec }),
  };
  return refusal;
}
