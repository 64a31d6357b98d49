import type { BookingSummary } from '@chat/contracts';
import type { EntitlementPolicy } from '@chat/db';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { BookingServiceClient } from './booking-service-client';

export interface BookingLookup {
  hasEntitlement(
    userA: string,
    userB: string,
    policy: EntitlementPolicy,
    now?: Date,
  ): Promise<boolean>;
  knowsPair(userA: string, userB: string): Promise<boolean>;
}

export interface EntitlementChecker {
  /**
   * Resolves when the two users may chat; throws BOOKING_REQUIRED when they may not, and
   * BOOKING_CHECK_UNAVAILABLE (retryable) when the answer depends on the booking service and
   * it cannot give one.
   */
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
  return {
    async assertCanChat(userA, userB) {
      const at = now();
      if (await deps.bookings.hasEntitlement(userA, userB, policy, at)) return;
      if (!deps.bookingService || (await deps.bookings.knowsPair(userA, userB))) {
        throw new AppError('BOOKING_REQUIRED');
      }
      const bookings = await deps.bookingService.findBookings(userA, userB);
      if (!bookings.some((booking) => bookingEntitles(booking, policy, at))) {
        throw new AppError('BOOKING_REQUIRED');
      }
      log?.debug({ bookings: bookings.length }, 'pair entitled by the booking service');
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
