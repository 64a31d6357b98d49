import { randomUUID } from 'node:crypto';
import {
  createBookingStore,
  pairKey,
  type BookingEventInput,
  type BookingStore,
  type Db,
} from '@chat/db';
import { newUserId, openTestDb } from './fixtures';

describe('booking store', () => {
  let db: Db;
  let bookings: BookingStore;

  beforeAll(() => {
    db = openTestDb();
    bookings = createBookingStore(db.knex);
  });

  afterAll(() => db.close());

  const CONFIRMED = ['confirmed'] as const;

  /** A fresh student, tutor and booking id, and a way to build events for them. */
  function newBooking() {
    const studentId = newUserId();
    const tutorId = newUserId();
    const bookingId = `b-${randomUUID()}`;
    const event = (status: string, extra: Partial<BookingEventInput> = {}): BookingEventInput => ({
      bookingId,
      studentId,
      tutorId,
      status,
      ...extra,
    });
    return { studentId, tutorId, bookingId, event };
  }

  const stored = (bookingId: string) =>
    db.knex('booking_entitlements').where({ booking_id: bookingId }).first();

  it('when a booking is confirmed, then the pair is entitled in either order and nobody else is', async () => {
    const { studentId, tutorId, event } = newBooking();

    expect(await bookings.applyBookingEvent(event('confirmed'))).toEqual({ applied: true });

    expect(await bookings.hasEntitlement(studentId, tutorId, CONFIRMED)).toBe(true);
    expect(await bookings.hasEntitlement(tutorId, studentId, CONFIRMED)).toBe(true);
    expect(await bookings.hasEntitlement(studentId, newUserId(), CONFIRMED)).toBe(false);
    expect(await bookings.hasEntitlement(studentId, tutorId, [])).toBe(false);
  });

  it('when the booking status is not allowed, then there is no entitlement', async () => {
    const { studentId, tutorId, event } = newBooking();
    await bookings.applyBookingEvent(event('pending'));

    expect(await bookings.hasEntitlement(studentId, tutorId, CONFIRMED)).toBe(false);
    expect(await bookings.hasEntitlement(studentId, tutorId, ['pending', 'confirmed'])).toBe(true);
  });

  it('when one of two bookings of a pair is cancelled, then the other still entitles them', async () => {
    const first = newBooking();
    await bookings.applyBookingEvent(first.event('cancelled'));
    expect(await bookings.hasEntitlement(first.studentId, first.tutorId, CONFIRMED)).toBe(false);

    // The same pair with roles swapped, in a second booking.
    await bookings.applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: first.tutorId,
      tutorId: first.studentId,
      status: 'confirmed',
    });

    expect(await bookings.hasEntitlement(first.studentId, first.tutorId, CONFIRMED)).toBe(true);
  });

  it('when a newer event arrives, then it overwrites and keeps the times the event omits', async () => {
    const { studentId, tutorId, bookingId, event } = newBooking();
    await bookings.applyBookingEvent(
      event('confirmed', {
        occurredAt: '2030-01-01T10:00:00Z',
        startTime: '2030-02-01T10:00:00Z',
        endTime: '2030-02-01T11:00:00Z',
      }),
    );

    const result = await bookings.applyBookingEvent(
      event('cancelled', { occurredAt: '2030-01-01T11:00:00Z' }),
    );

    expect(result).toEqual({ applied: true });
    expect(await bookings.hasEntitlement(studentId, tutorId, CONFIRMED)).toBe(false);
    expect(await stored(bookingId)).toMatchObject({
      status: 'cancelled',
      start_time: new Date('2030-02-01T10:00:00Z'),
      end_time: new Date('2030-02-01T11:00:00Z'),
      occurred_at: new Date('2030-01-01T11:00:00Z'),
    });
  });

  it('when an older event arrives after a newer one, then it does not overwrite', async () => {
    const { studentId, tutorId, bookingId, event } = newBooking();
    await bookings.applyBookingEvent(event('confirmed', { occurredAt: '2030-01-01T12:00:00Z' }));

    const result = await bookings.applyBookingEvent(
      event('pending', { occurredAt: '2030-01-01T09:00:00Z' }),
    );

    expect(result).toEqual({ applied: false });
    expect(await bookings.hasEntitlement(studentId, tutorId, CONFIRMED)).toBe(true);
    expect((await stored(bookingId)).occurred_at).toEqual(new Date('2030-01-01T12:00:00Z'));
  });

  it('when events without occurredAt arrive, then they apply only over rows without one', async () => {
    const untimed = newBooking();
    expect(await bookings.applyBookingEvent(untimed.event('pending'))).toEqual({ applied: true });
    expect(await bookings.applyBookingEvent(untimed.event('confirmed'))).toEqual({ applied: true });
    expect((await stored(untimed.bookingId)).status).toBe('confirmed');

    const timed = newBooking();
    await bookings.applyBookingEvent(timed.event('confirmed', { occurredAt: new Date() }));
    expect(await bookings.applyBookingEvent(timed.event('cancelled'))).toEqual({ applied: false });
    expect((await stored(timed.bookingId)).status).toBe('confirmed');

    // A timed event does replace an untimed one.
    expect(
      await bookings.applyBookingEvent(
        untimed.event('cancelled', { occurredAt: '2030-01-01T00:00:00Z' }),
      ),
    ).toEqual({ applied: true });
  });

  it('when the same event is delivered twice, then one row holds it and the repeat is not applied', async () => {
    const { studentId, tutorId, bookingId, event } = newBooking();
    const confirmed = event('confirmed', { occurredAt: '2030-03-01T08:00:00.123Z' });

    expect(await bookings.applyBookingEvent(confirmed)).toEqual({ applied: true });
    expect(await bookings.applyBookingEvent(confirmed)).toEqual({ applied: false });

    expect(await db.knex('booking_entitlements').where({ booking_id: bookingId })).toHaveLength(1);
    expect(await bookings.hasEntitlement(studentId, tutorId, CONFIRMED)).toBe(true);
  });

  it('when two events share an occurredAt, then the later status wins in either arrival order', async () => {
    const occurredAt = '2030-04-01T08:00:00Z';
    const forward = newBooking();
    const backward = newBooking();

    await bookings.applyBookingEvent(forward.event('confirmed', { occurredAt }));
    await bookings.applyBookingEvent(forward.event('cancelled', { occurredAt }));
    await bookings.applyBookingEvent(backward.event('cancelled', { occurredAt }));
    await bookings.applyBookingEvent(backward.event('confirmed', { occurredAt }));

    expect((await stored(forward.bookingId)).status).toBe('cancelled');
    expect((await stored(backward.bookingId)).status).toBe('cancelled');
  });

  it('when many events for one booking are applied concurrently, then the newest one wins', async () => {
    const { bookingId, event } = newBooking();
    const statuses = ['pending', 'confirmed', 'cancelled', 'completed'];
    const events = Array.from({ length: 20 }, (_, i) =>
      event(statuses[i % statuses.length]!, {
        occurredAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
      }),
    ).reverse();

    await Promise.all(events.map((e) => bookings.applyBookingEvent(e)));

    expect(await stored(bookingId)).toMatchObject({
      status: 'completed',
      occurred_at: new Date(Date.UTC(2030, 0, 1, 0, 0, 19)),
    });
  });

  it('when the projection holds any booking of a pair, then knowsPair is true in either order, whatever the status', async () => {
    const { studentId, tutorId, event } = newBooking();
    expect(await bookings.knowsPair(studentId, tutorId)).toBe(false);

    await bookings.applyBookingEvent(event('cancelled'));

    expect(await bookings.knowsPair(studentId, tutorId)).toBe(true);
    expect(await bookings.knowsPair(tutorId, studentId)).toBe(true);
    expect(await bookings.knowsPair(studentId, newUserId())).toBe(false);
  });

  describe('with a grace period for completed bookings', () => {
    const policy = { allowedStatuses: ['confirmed', 'completed'], completedGraceDays: 7 };
    const endTime = '2030-05-01T10:00:00Z';
    const daysAfterEnd = (days: number) =>
      new Date(Date.parse(endTime) + days * 24 * 60 * 60 * 1000);

    it('when a completed booking ended less than the grace period ago, then it entitles, and not after', async () => {
      const { studentId, tutorId, event } = newBooking();
      await bookings.applyBookingEvent(event('completed', { endTime }));

      expect(await bookings.hasEntitlement(studentId, tutorId, policy, daysAfterEnd(6.9))).toBe(
        true,
      );
      expect(await bookings.hasEntitlement(studentId, tutorId, policy, daysAfterEnd(7))).toBe(
        false,
      );
      // Without a grace period the status alone decides.
      expect(
        await bookings.hasEntitlement(
          studentId,
          tutorId,
          { allowedStatuses: policy.allowedStatuses },
          daysAfterEnd(365),
        ),
      ).toBe(true);
    });

    it('when completed is not an allowed status, then the grace period does not let it entitle', async () => {
      const { studentId, tutorId, event } = newBooking();
      await bookings.applyBookingEvent(event('completed', { endTime }));

      expect(
        await bookings.hasEntitlement(
          studentId,
          tutorId,
          { allowedStatuses: ['confirmed'], completedGraceDays: 7 },
          daysAfterEnd(1),
        ),
      ).toBe(false);
    });

    it('when a completed booking has no end time, then the grace period runs from the event that completed it', async () => {
      const { studentId, tutorId, event } = newBooking();
      await bookings.applyBookingEvent(event('completed', { occurredAt: endTime }));

      expect(await bookings.hasEntitlement(studentId, tutorId, policy, daysAfterEnd(1))).toBe(true);
      expect(await bookings.hasEntitlement(studentId, tutorId, policy, daysAfterEnd(8))).toBe(
        false,
      );
    });

    it('when the grace period of one booking is over, then a confirmed booking of the pair still entitles', async () => {
      const { studentId, tutorId, event } = newBooking();
      await bookings.applyBookingEvent(event('completed', { endTime }));
      await bookings.applyBookingEvent({
        bookingId: `b-${randomUUID()}`,
        studentId,
        tutorId,
        status: 'confirmed',
      });

      expect(await bookings.hasEntitlement(studentId, tutorId, policy, daysAfterEnd(30))).toBe(
        true,
      );
    });
  });

  it('when many pairs are asked at once, then each gets whether it is entitled and whether it is known, in either order of its users', async () => {
    const confirmed = newBooking();
    const cancelled = newBooking();
    const stranger = newUserId();
    await bookings.applyBookingEvent(confirmed.event('confirmed'));
    await bookings.applyBookingEvent(cancelled.event('cancelled'));

    const statuses = await bookings.pairStatuses(
      [
        [confirmed.tutorId, confirmed.studentId],
        [cancelled.studentId, cancelled.tutorId],
        [confirmed.studentId, stranger],
        [confirmed.studentId, confirmed.tutorId],
      ],
      CONFIRMED,
    );

    expect(statuses.size).toBe(3);
    expect(statuses.get(pairKey(confirmed.studentId, confirmed.tutorId))).toEqual({
      entitled: true,
      known: true,
    });
    expect(statuses.get(pairKey(cancelled.tutorId, cancelled.studentId))).toEqual({
      entitled: false,
      known: true,
    });
    expect(statuses.get(pairKey(stranger, confirmed.studentId))).toEqual({
      entitled: false,
      known: false,
    });
  });
});
