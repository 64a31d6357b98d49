import { AppError } from '@chat/errors';

export interface BookingLookup {
  hasEntitlement(
    userA: string,
    userB: string,
    allowedStatuses: readonly string[],
  ): Promise<boolean>;
}

export interface EntitlementChecker {
  /** Resolves when the two users may chat; throws BOOKING_REQUIRED when they may not. */
  assertCanChat(userA: string, userB: string): Promise<void>;
}

/** Two users may chat while they share a booking in one of the allowed statuses. */
export function createEntitlementChecker(deps: {
  bookings: BookingLookup;
  allowedStatuses: readonly string[];
}): EntitlementChecker {
  return {
    async assertCanChat(userA, userB) {
      if (!(await deps.bookings.hasEntitlement(userA, userB, deps.allowedStatuses))) {
        throw new AppError('BOOKING_REQUIRED');
      }
    },
  };
}
