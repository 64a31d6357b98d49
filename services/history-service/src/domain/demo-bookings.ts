import { localBookingId, type BookingStore } from '@chat/db';
import { DEMO_BOOKINGS, type DemoBooking } from './demo-users';

/**
 * The seed's event time: older than any real event, so a demo booking changed since (`npm run
 * booking -- cancel demo-student demo-tutor`) keeps that change over later starts, and seeding
 * it again is a no-op.
 */
const SEEDED_AT = new Date('2000-01-01T00:00:00.000Z');

/**
 * Confirms the demo pairs' bookings in the booking projection, as a `booking.confirmed` event of
 * TutorGo's booking service would, under the id `npm run booking` derives for the pair. Returns
 * how many it changed (0 when they were there already).
 */
export async function seedDemoBookings(
  store: Pick<BookingStore, 'applyBookingEvent'>,
  bookings: readonly DemoBooking[] = DEMO_BOOKINGS,
): Promise<number> {
  let applied = 0;
  for (const { studentId, tutorId } of bookings) {
    const result = await store.applyBookingEvent({
      bookingId: localBookingId(studentId, tutorId),
      studentId,
      tutorId,
      status: 'confirmed',
      occurredAt: SEEDED_AT,
    });
    if (result.applied) applied++;
  }
  return applied;
}
