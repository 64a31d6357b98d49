import { parseBookingEvent } from '@chat/contracts';

describe('parseBookingEvent', () => {
  const body = {
    bookingId: 'b-1',
    studentId: 'student-1',
    tutorId: 'tutor-1',
    status: 'confirmed',
    occurredAt: '2030-01-01T10:00:00Z',
  };

  it('when the routing key names the status of the body, then the event is read as is', () => {
    expect(parseBookingEvent('booking.confirmed', body)).toEqual({ success: true, data: body });
  });

  it('when the routing key names a status and the body has none, then the key gives it', () => {
    const { status: _status, ...withoutStatus } = body;
    expect(parseBookingEvent('booking.cancelled', withoutStatus)).toEqual({
      success: true,
      data: { ...withoutStatus, status: 'cancelled' },
    });
  });

  it('when the routing key is booking.updated, then the status comes from the body and must be there', () => {
    expect(parseBookingEvent('booking.updated', { ...body, status: 'completed' })).toMatchObject({
      success: true,
      data: { status: 'completed' },
    });
    const { status: _status, ...withoutStatus } = body;
    expect(parseBookingEvent('booking.updated', withoutStatus)).toMatchObject({
      success: false,
      reason: expect.stringMatching(/status/),
    });
  });

  it.each([
    ['booking.confirmed', { ...body, status: 'cancelled' }, /does not match routing key/],
    ['booking.confirmed', { ...body, tutorId: undefined }, /tutorId/],
    ['booking.confirmed', { ...body, studentId: 'a_b' }, /studentId/],
    ['booking.confirmed', { ...body, tutorId: body.studentId }, /must differ/],
    ['booking.confirmed', { ...body, occurredAt: 'yesterday' }, /occurredAt/],
    ['booking.confirmed', [body], /invalid booking event/],
    ['booking.updated', { ...body, status: 'teleported' }, /status/],
    ['orders.created', body, /unexpected routing key/],
  ])('when %s carries %j, then it is refused naming the fault', (routingKey, event, reason) => {
    const result = parseBookingEvent(routingKey, event);
    expect(result.success).toBe(false);
    expect(!result.success && result.reason).toMatch(reason);
  });
});
