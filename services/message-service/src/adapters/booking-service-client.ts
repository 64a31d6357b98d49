import CircuitBreaker from 'opossum';
import { bookingLookupResponseSchema, type BookingSummary, describeIssue } from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';

/**
 * The HTTP contract with TutorGo's booking service (the fallback for pairs the projection of
 * booking events knows nothing about):
 *
 *   GET {baseUrl}{path}   path default `/bookings/entitlement?userA={userA}&userB={userB}`,
 *                         the two user ids URL-encoded, in no particular order or role
 *   Accept: application/json
 *
 *   200 { "bookings": [ { "bookingId": "b-1", "status": "confirmed",
 *                         "startTime"?: ISO 8601, "endTime"?: ISO 8601 } ] }
 *
 * Every booking the two users share, in either role, with its current status; `[]` when there
 * is none. Chat decides itself which statuses count (ALLOWED_BOOKING_STATUSES,
 * COMPLETED_GRACE_DAYS), so the booking service needs no chat configuration. Anything else — another
 * status code, a body that is not this shape, no answer within the timeout — is a failure:
 * it counts towards opening the circuit breaker and the caller gets BOOKING_CHECK_UNAVAILABLE.
 */
export interface BookingServiceConfig {
  /** Base URL, e.g. http://booking-service:3004. */
  baseUrl: string;
  /** Path and query with `{userA}` and `{userB}` placeholders. */
  pathTemplate: string;
  /** How long one lookup may take, in ms. */
  timeoutMs: number;
  /** Failure percentage (in the 10 s rolling window) above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Lookups the window must hold before the breaker may open. */
  volumeThreshold: number;
  /** How long the breaker stays open before one probe may close it, in ms. */
  resetTimeoutMs: number;
  /** How long an answer about a pair is reused, in ms; 0 turns the cache off. */
  cacheTtlMs: number;
}

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface BookingServiceClient {
  /**
   * The bookings the two users share, per the booking service (or a recent answer about
   * them). Throws AppError BOOKING_CHECK_UNAVAILABLE when the service fails, is too slow or
   * the breaker is open.
   */
  findBookings(userA: string, userB: string): Promise<BookingSummary[]>;
  readonly state: BreakerState;
  /** Stops the breaker's timers; later lookups fail with BOOKING_CHECK_UNAVAILABLE. */
  close(): void;
}

const CACHE_MAX_ENTRIES = 10_000;

/** One breaker for the booking service as a whole, shared by every lookup of this process. */
export function createBookingServiceClient(
  config: BookingServiceConfig,
  logger: Logger,
): BookingServiceClient {
  const log = logger.child({ module: 'message:booking-service' });
  const cache = new Map<string, { bookings: BookingSummary[]; expiresAt: number }>();
  const inFlight = new Map<string, Promise<BookingSummary[]>>();

  async function lookup(userA: string, userB: string): Promise<BookingSummary[]> {
    const path = config.pathTemplate
      .replaceAll('{userA}', encodeURIComponent(userA))
      .replaceAll('{userB}', encodeURIComponent(userB));
    // The breaker times the lookup out too; the signal makes sure the request is not left running.
    const response = await fetch(joinUrl(config.baseUrl, path), {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`booking service answered HTTP ${response.status}`);
    }
    const parsed = bookingLookupResponseSchema.safeParse(await response.json());
    if (!parsed.success) {
      throw new Error(`booking service answer is malformed: ${describeIssue(parsed.error)}`);
    }
    return parsed.data.bookings;
  }

  const breaker = new CircuitBreaker(lookup, {
    name: 'booking-service',
    timeout: config.timeoutMs,
    errorThresholdPercentage: config.errorThresholdPercentage,
    volumeThreshold: config.volumeThreshold,
    resetTimeout: config.resetTimeoutMs,
    // Latency percentiles would cost a sort per bucket; nothing reads them.
    rollingPercentilesEnabled: false,
  });
  breaker.on('open', () =>
    log.warn(
      { breaker: 'open', resetTimeoutMs: config.resetTimeoutMs },
      'booking service circuit opened; lookups fail fast',
    ),
  );
  breaker.on('halfOpen', () =>
    log.info({ breaker: 'halfOpen' }, 'booking service circuit half-open; probing'),
  );
  breaker.on('close', () =>
    log.info({ breaker: 'closed' }, 'booking service circuit closed; lookups resume'),
  );
  breaker.on('failure', (error: Error) =>
    log.warn({ err: error }, 'booking service lookup failed'),
  );

  async function findBookings(userA: string, userB: string): Promise<BookingSummary[]> {
    const key = userA < userB ? `${userA}|${userB}` : `${userB}|${userA}`;
    const cached = cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.bookings;
    cache.delete(key);

    // Concurrent checks of one pair (a burst of sends) share one request.
    let pending = inFlight.get(key);
    if (!pending) {
      pending = breaker.fire(userA, userB).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    let bookings: BookingSummary[];
    try {
      bookings = await pending;
    } catch (error) {
      const reason = breaker.opened ? 'circuit open' : (error as Error).message;
      throw new AppError('BOOKING_CHECK_UNAVAILABLE', undefined, {
        cause: new Error(`booking service lookup failed: ${reason}`, { cause: error }),
      });
    }
    if (config.cacheTtlMs > 0) {
      if (cache.size >= CACHE_MAX_ENTRIES) {
        // Map keeps insertion order: the first key is the oldest answer.
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, { bookings, expiresAt: Date.now() + config.cacheTtlMs });
    }
    return bookings;
  }

  return {
    findBookings,
    get state(): BreakerState {
      if (breaker.opened) return 'open';
      if (breaker.halfOpen) return 'halfOpen';
      return 'closed';
    },
    close() {
      breaker.shutdown();
      cache.clear();
    },
  };
}

/** The base URL (which may carry a path prefix) followed by `path`. */
function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
