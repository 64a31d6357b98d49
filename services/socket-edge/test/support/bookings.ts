import { randomUUID } from 'node:crypto';
import { createBookingStore, type Db } from '@chat/db';

/** Gives two users a confirmed booking, as TutorGo's booking events would. */
export async function confirmBooking(db: Db, studentId: string, tutorId: string): Promise<string> {
  const bookingId = `b-${randomUUID()}`;
  await createBookingStore(db.knex).applyBookingEvent({
    bookingId,
    studentId,
    tutorId,
    status: 'confirmed',
    occurredAt: new Date(),
  });
  return bookingId;
}
