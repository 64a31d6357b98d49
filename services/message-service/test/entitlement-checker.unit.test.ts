import { bookingEntitles } from '../src/domain/entitlement-checker';

describe('bookingEntitles (answers of the booking service)', () => {
  const now = new Date('2030-05-10T00:00:00Z');
  const policy = { allowedStatuses: ['confirmed', 'completed'], completedGraceDays: 7 };

  it('when the status is not allowed, then the booking does not entitle', () => {
    expect(bookingEntitles({ bookingId: 'b', status: 'cancelled' }, policy, now)).toBe(false);
    expect(bookingEntitles({ bookingId: 'b', status: 'confirmed' }, policy, now)).toBe(true);
  });

  it('when a completed booking ended within the grace period, then it entitles, and not after', () => {
    const completed = (endTime: string) => ({ bookingId: 'b', status: 'completed', endTime });
    expect(bookingEntitles(completed('2030-05-04T00:00:00Z'), policy, now)).toBe(true);
    expect(bookingEntitles(completed('2030-05-03T00:00:00Z'), policy, now)).toBe(false);
    expect(
      bookingEntitles(completed('2020-01-01T00:00:00Z'), { ...policy, completedGraceDays: 0 }, now),
    ).toBe(true);
  });

  it('when a completed booking has no end time, then its status alone decides', () => {
    expect(
      bookingEntitles({ bookingId: 'b', status: 'completed', endTime: null }, policy, now),
    ).toBe(true);
  });
});
