import { createBookingStore, createDb, localBookingId } from '@chat/db';
import { testServiceUrls } from '@chat/testing';
import { seedDemoBookings } from '../src/domain/demo-bookings';
import { DEMO_BOOKINGS, DEMO_USERS } from '../src/domain/demo-users';
import { newUserId, testLogger } from './support/history-server';

describe('the demo bookings', () => {
  const db = createDb({ url: testServiceUrls().databaseUrl, poolMax: 2 }, testLogger);
  const store = createBookingStore(db.knex);
  afterAll(() => db.close());

  /** Fresh users for each test: npm start in other tests of the run seeds the real demo pairs. */
  const freshPairs = () => [
    { studentId: newUserId(), tutorId: newUserId() },
    { studentId: newUserId(), tutorId: newUserId() },
  ];

  it('when seeded, then each pair may chat, and seeding again changes nothing', async () => {
    const pairs = freshPairs();
    expect(await seedDemoBookings(store, pairs)).toBe(2);
    for (const { studentId, tutorId } of pairs) {
      expect(await store.hasEntitlement(studentId, tutorId, ['confirmed'])).toBe(true);
    }
    expect(await seedDemoBookings(store, pairs)).toBe(0);
  });

  it('when a seeded booking was cancelled through npm run booking (the same pair id, a newer event), then seeding again leaves it cancelled', async () => {
    const pairs = freshPairs();
    await seedDemoBookings(store, pairs);
    const [{ studentId, tutorId }] = pairs as [(typeof pairs)[0]];
    await store.applyBookingEvent({
      bookingId: localBookingId(studentId, tutorId),
      studentId,
      tutorId,
      status: 'cancelled',
      occurredAt: new Date(),
    });

    expect(await seedDemoBookings(store, pairs)).toBe(0);
    expect(await store.hasEntitlement(studentId, tutorId, ['confirmed'])).toBe(false);
  });

  it('when the demo users are listed, then each partner is a demo user of the other role with a seeded booking', () => {
    for (const user of DEMO_USERS) {
      for (const partnerId of user.partners) {
        const partner = DEMO_USERS.find((candidate) => candidate.userId === partnerId);
        expect([user.userId, partner?.role]).toEqual([
          user.userId,
          user.role === 'student' ? 'tutor' : 'student',
        ]);
        const booked = DEMO_BOOKINGS.some(
          (booking) =>
            (booking.studentId === user.userId && booking.tutorId === partnerId) ||
            (booking.tutorId === user.userId && booking.studentId === partnerId),
        );
        expect([user.userId, partnerId, booked]).toEqual([user.userId, partnerId, true]);
      }
    }
  });
});
