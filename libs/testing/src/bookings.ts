import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
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

/** Two fresh users with a confirmed booking, and their conversation id. */
export async function bookedPair(
  db: Db,
): Promise<{ sender: string; receiver: string; conversationId: string }> {
  const sender = `s-${randomUUID()}`;
  const receiver = `r-${randomUUID()}`;
  await confirmBooking(db, sender, receiver);
  return { sender, receiver, conversationId: canonicalConversationId(sender, receiver) };
}
