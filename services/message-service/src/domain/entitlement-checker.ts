import type { BookingSummary } from '@chat/contracts';
import { pairKey, type EntitlementPolicy, type PairStatus } from '@chat/db';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { BookingServiceClient } from '../adapters/booking-service-client';

export interface BookingLookup {
  hasEntitlement(
    userA: string,
    userB: string,
    policy: EntitlementPolicy,
    now?: Date,
  ): Promise<boolean>;
  pairStatuses(
    pairs: Iterable<readonly [string, string]>,
    policy: EntitlementPolicy,
    now?: Date,
  ): Promise<Map<string, PairStatus>>;
}

export interface EntitlementChecker {
  /**
   * The verdict for each pair, keyed by `pairKey`: undefined when the two users may chat, else
   * BOOKING_REQUIRED, or BOOKING_CHECK_UNAVAILABLE (retryable) when the answer depends on the
   * booking service and it cannot give one. One query for all pairs of a batch.
   */
  checkPairs(
    pairs: Iterable<readonly [string, string]>,
  ): Promise<Map<string, AppError | undefined>>;
  /** checkPairs for one pair: resolves when they may chat, throws the refusal otherwise. */
  assertCanChat(userA: string, userB: string): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Two users may chat while they share a booking the policy counts. The projection of booking
 * events decides whenever it knows the pair at all; only a pair it has never seen is asked
 * about at the booking service (when one is configured), since its events may not have
 * arrived yet.
 */
export function createEntitlementChecker(deps: {
  bookings: BookingLookup;
  allowedStatuses: readonly string[];
  /** See EntitlementPolicy; default 0 (completed bookings count by status alone). */
  completedGraceDays?: number;
  /** Off when undefined: unknown pairs are refused with BOOKING_REQUIRED. */
  bookingService?: Pick<BookingServiceClient, 'findBookings'>;
  logger?: Logger;
  now?: () => Date;
}): EntitlementChecker {
  const log = deps.logger?.child({ module: 'message:entitlements' });
  const now = deps.now ?? (() => new Date());
  const policy: EntitlementPolicy = {
    allowedStatuses: deps.allowedStatuses,
    completedGraceDays: deps.completedGraceDays ?? 0,
  };

  /** Asks the booking service about a pair the projection has never seen. */
  async function askBookingService(
    service: Pick<BookingServiceClient, 'findBookings'>,
    userA: string,
    userB: string,
    at: Date,
  ): Promise<AppError | undefined> {
    try {
      const bookings = await service.findBookings(userA, userB);
      if (!bookings.some((booking) => bookingEntitles(booking, policy, at))) {
        return new AppError('BOOKING_REQUIRED');
      }
      log?.debug({ bookings: bookings.length }, 'pair entitled by the booking service');
      return undefined;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  }

  async function checkPairs(
    pairs: Iterable<readonly [string, string]>,
  ): Promise<Map<string, AppError | undefined>> {
    const at = now();
    const asked = new Map<string, readonly [string, string]>();
    for (const pair of pairs) asked.set(pairKey(pair[0], pair[1]), pair);
    const statuses = await deps.bookings.pairStatuses(asked.values(), policy, at);
    const verdicts = new Map<string, AppError | undefined>();
    await Promise.all(
      [...asked].map(async ([key, [userA, userB]]) => {
        const status = statuses.get(key);
        if (status?.entitled) verdicts.set(key, undefined);
        else if (!deps.bookingService || status?.known) {
          verdicts.set(key, new AppError('BOOKING_REQUIRED'));
        } else {
          verdicts.set(key, await askBookingService(deps.bookingService, userA, userB, at));
        }
      }),
    );
    return verdicts;
  }

  return {
    checkPairs,
    async assertCanChat(userA, userB) {
      const refusal = (await checkPairs([[userA, userB]])).get(pairKey(userA, userB));
      if (refusal) throw refusal;
    },
  };
}

/**
 * The policy applied to one booking the booking service reported, as the projection's query
 * applies it to stored ones. A completed booking without an end time counts by status alone.
 */
export function bookingEntitles(
  booking: BookingSummary,
  policy: EntitlementPolicy,
  now: Date,
): boolean {
  if (!policy.allowedStatuses.includes(booking.status)) return false;
  const graceDays = policy.completedGraceDays ?? 0;
  if (booking.status !== 'completed' || graceDays === 0 || !booking.endTime) return true;
  return Date.parse(booking.endTime) + graceDays * DAY_MS > now.getTime();
}
