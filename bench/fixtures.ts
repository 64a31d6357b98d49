import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import { createBookingStore, type Db } from '@chat/db';
import { benchUserId } from './clients';

export interface Pair {
  student: string;
  tutor: string;
  conversationId: string;
}

/** `count` student/tutor pairs, each with a confirmed booking, as TutorGo's booking events give. */
export async function createPairs(db: Db, label: string, count: number): Promise<Pair[]> {
  const bookings = createBookingStore(db.knex);
  const pairs: Pair[] = [];
  for (let index = 0; index < count; index++) {
    const student = benchUserId(`${label}s${index}`);
    const tutor = benchUserId(`${label}t${index}`);
    await bookings.applyBookingEvent({
      bookingId: `bench-${randomUUID()}`,
      studentId: student,
      tutorId: tutor,
      status: 'confirmed',
      occurredAt: new Date(),
    });
    pairs.push({ student, tutor, conversationId: canonicalConversationId(student, tutor) });
  }
  return pairs;
}

/** A message body of about `length` characters, different for every index. */
export const messageBody = (index: number, length = 80) =>
  `bench message ${index} `.padEnd(length, 'lorem ipsum ');
