import type { Logger } from '@chat/observability';
import { RateLimitedError, type RateLimit } from '@chat/redis';
import { clientAddress } from './client-address';
import { handshakeRefusal } from './handshake-refusal';
import type { ChatSocket } from './chat-socket';

/**
 * Handshake middleware: a point of the client IP's connect budget per attempt
 * (CONNECT_RATE_LIMIT_PER_IP, shared by every edge through Redis). Registered before
 * authentication, so a flood of bad tokens costs no signature checks either. Past the budget
 * the client gets `connect_error` with data `{ code: 'RATE_LIMITED', retryAfterSec }`.
 */
export function createConnectRateLimit(deps: {
  rateLimit: RateLimit;
  /** TRUST_PROXY_HOPS: reverse proxies whose X-Forwarded-For entries are believed. */
  trustProxyHops: number;
  logger: Logger;
}) {
  const log = deps.logger.child({ module: 'edge:connect-limit' });
  return (socket: ChatSocket, next: (error?: Error) => void) => {
    const ip = clientAddress(socket.handshake, deps.trustProxyHops);
    deps.rateLimit.take(ip).then(
      () => next(),
      (error: unknown) => {
        if (error instanceof RateLimitedError) {
          log.info({ ip, retryAfterSec: error.retryAfterSec }, 'connect refused: IP rate limit');
          return next(handshakeRefusal(error));
        }
        // The limiter falls back to memory while Redis is away; anything else is our fault,
        // and a broken limiter must not lock every client out.
        log.error({ err: error, ip }, 'connect rate limit failed; letting the connect through');
        next();
      },
    );
  };
}
