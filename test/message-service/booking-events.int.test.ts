import { canonicalConversationId, topologyNames } from '@chat/contracts';
import { startChatStack, type ChatStack } from '../support/chat-stack';
import {
  collect,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  type ClientSocket,
  bookingOf,
  connectTutorGoEvents,
  type TutorGoEvents,
} from '@chat/testing';
import { conversationRoom } from '../../services/socket-edge/src/entry-points/socket/rooms';

describe('booking events from TutorGo', () => {
  let stack: ChatStack;
  let tutorgo: TutorGoEvents;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    tutorgo = await connectTutorGoEvents();
    stack = await startChatStack({
      label: 'bookings',
      edges: 2,
      env: { BOOKING_EVENTS_EXCHANGE: tutorgo.exchange },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack?.close();
    await tutorgo?.close();
  });

  const connect = async (userId: string, edge = 0) => {
    const { socket } = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(socket);
    return socket;
  };
  const send = (socket: ClientSocket, from: string, to: string, message = 'hello') =>
    sendWithAck(socket, {
      conversationId: canonicalConversationId(from, to),
      receiverId: to,
      message,
    });
  const storedBooking = (bookingId: string) =>
    stack.db.knex('booking_entitlements').where({ booking_id: bookingId }).first();
  const waitForBooking = (bookingId: string, status: string) =>
    eventually(async () => (await storedBooking(bookingId))?.status === status);
  /**
   * Events of one pair are applied in the order they arrive: once a later event of the pair
   * (a pending booking, which entitles nobody) is stored, every earlier one was handled.
   */
  const settle = async (studentId: string, tutorId: string) => {
    const marker = bookingOf(studentId, tutorId);
    await tutorgo.publish('booking.pending', marker.event('pending'));
    await waitForBooking(marker.bookingId, 'pending');
  };
  const joinRoom = async (socket: ClientSocket, conversationId: string) => {
    const joined = nextEvent(socket, 'joined-conversation');
    socket.emit('join-conversation', conversationId);
    await joined;
  };
  const roomSize = (edge: number, conversationId: string) =>
    stack.edges[edge]!.io.sockets.adapter.rooms.get(conversationRoom(conversationId))?.size ?? 0;

  it('when a booking.confirmed event arrives, then the two users can message each other both ways and nobody else can message them', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const outsider = newUserId('outsider');
    const studentSocket = await connect(student);
    const tutorSocket = await connect(tutor, 1);
    const outsiderSocket = await connect(outsider);
    expect(await send(studentSocket, student, tutor)).toMatchObject({
      ok: false,
      error: { code: 'BOOKING_REQUIRED' },
    });

    const booking = bookingOf(student, tutor);
    await tutorgo.publish('booking.confirmed', booking.event('confirmed'));
    await waitForBooking(booking.bookingId, 'confirmed');

    expect(await send(studentSocket, student, tutor, 'hi tutor')).toMatchObject({
      ok: true,
      message: { senderId: student, receiverId: tutor, message: 'hi tutor' },
    });
    expect(await send(tutorSocket, tutor, student, 'hi student')).toMatchObject({
      ok: true,
      message: { senderId: tutor, receiverId: student, message: 'hi student' },
    });
    for (const other of [student, tutor]) {
      expect(await send(outsiderSocket, outsider, other)).toMatchObject({
        ok: false,
        error: { code: 'BOOKING_REQUIRED' },
      });
    }
  });

  it('when the booking is cancelled, then every socket of both users on every edge gets conversation-closed and leaves the room, sends are refused and the history stays', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const conversationId = canonicalConversationId(student, tutor);
    const booking = bookingOf(student, tutor);
    await tutorgo.publish('booking.confirmed', booking.event('confirmed', 5));
    await waitForBooking(booking.bookingId, 'confirmed');

    const studentHere = await connect(student, 0);
    const studentThere = await connect(student, 1);
    const tutorThere = await connect(tutor, 1);
    const all = [studentHere, studentThere, tutorThere];
    for (const socket of all) await joinRoom(socket, conversationId);
    expect(roomSize(0, conversationId)).toBe(1);
    expect(roomSize(1, conversationId)).toBe(2);
    expect(await send(studentHere, student, tutor, 'see you monday')).toMatchObject({ ok: true });
    const closedEvents = await tutorgo.watch(
      topologyNames(stack.namespace).eventsExchange,
      'chat.conversation.closed.v1',
    );

    const closed = all.map((socket) => nextEvent(socket, 'conversation-closed'));
    await tutorgo.publish('booking.cancelled', booking.event('cancelled'));

    for (const payload of await Promise.all(closed)) {
      expect(payload).toEqual({ conversationId, reason: 'booking-cancelled' });
    }
    await eventually(() => roomSize(0, conversationId) === 0 && roomSize(1, conversationId) === 0);
    const domainEvent = JSON.parse((await tutorgo.nextMessage(closedEvents)).content.toString());
    expect(domainEvent).toMatchObject({
      type: 'chat.conversation.closed.v1',
      conversationId,
      reason: 'booking-cancelled',
      closedAt: expect.any(String),
    });

    for (const [socket, from, to] of [
      [tutorThere, tutor, student],
      [studentHere, student, tutor],
    ] as const) {
      expect(await send(socket, from, to, 'still there?')).toMatchObject({
        ok: false,
        error: { code: 'BOOKING_REQUIRED' },
      });
    }
    const history = await stack.db.knex('messages').where({ conversation_id: conversationId });
    expect(history.map((row: { body: string }) => row.body)).toEqual(['see you monday']);
  });

  it('when one of two bookings of a pair is cancelled, then they keep chatting and nobody is told the conversation closed', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const first = bookingOf(student, tutor);
    const second = bookingOf(student, tutor);
    await tutorgo.publish('booking.confirmed', first.event('confirmed', 5));
    await tutorgo.publish('booking.confirmed', second.event('confirmed', 5));
    await waitForBooking(second.bookingId, 'confirmed');
    const studentSocket = await connect(student);
    const closed = collect(studentSocket, 'conversation-closed');

    await tutorgo.publish('booking.cancelled', first.event('cancelled'));
    await waitForBooking(first.bookingId, 'cancelled');
    await settle(student, tutor);

    expect(await send(studentSocket, student, tutor)).toMatchObject({ ok: true });
    expect(closed).toEqual([]);
  });

  it('when events arrive twice, then the booking is stored once and the conversation is closed once', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const booking = bookingOf(student, tutor);
    const confirmed = booking.event('confirmed', 5);
    await tutorgo.publish('booking.confirmed', confirmed);
    await tutorgo.publish('booking.confirmed', confirmed);
    await waitForBooking(booking.bookingId, 'confirmed');
    const studentSocket = await connect(student);
    expect(await send(studentSocket, student, tutor)).toMatchObject({ ok: true });
    const closed = collect(studentSocket, 'conversation-closed');

    const cancelled = booking.event('cancelled');
    await tutorgo.publish('booking.cancelled', cancelled);
    await tutorgo.publish('booking.cancelled', cancelled);
    // The sentinel: the pair's next booking, confirmed and cancelled, closes the conversation
    // again. A pair's events are handled in order, so a close for the repeated cancellation
    // would have reached the socket before this one.
    const next = bookingOf(student, tutor);
    await tutorgo.publish('booking.confirmed', next.event('confirmed', 1));
    await tutorgo.publish('booking.cancelled', next.event('cancelled'));
    await eventually(() => closed.length >= 2);

    expect(
      await stack.db.knex('booking_entitlements').where({ booking_id: booking.bookingId }),
    ).toHaveLength(1);
    expect((await storedBooking(booking.bookingId)).status).toBe('cancelled');
    const closedByCancel = {
      conversationId: canonicalConversationId(student, tutor),
      reason: 'booking-cancelled',
    };
    expect(closed).toEqual([closedByCancel, closedByCancel]);
    expect(await send(studentSocket, student, tutor)).toMatchObject({
      ok: false,
      error: { code: 'BOOKING_REQUIRED' },
    });
  });

  it('when a cancellation overtakes the older confirmation, then the booking stays cancelled', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const booking = bookingOf(student, tutor);

    await tutorgo.publish('booking.cancelled', booking.event('cancelled', 1));
    await tutorgo.publish('booking.confirmed', booking.event('confirmed', 10));
    await settle(student, tutor);

    expect(await storedBooking(booking.bookingId)).toMatchObject({ status: 'cancelled' });
    const studentSocket = await connect(student);
    expect(await send(studentSocket, student, tutor)).toMatchObject({
      ok: false,
      error: { code: 'BOOKING_REQUIRED' },
    });
  });

  it('when a booking.updated event carries a status, then that status is applied', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const booking = bookingOf(student, tutor);

    await tutorgo.publish('booking.updated', booking.event('confirmed'));
    await waitForBooking(booking.bookingId, 'confirmed');

    // A status-named routing key may leave the status out of the body.
    const { status: _status, ...withoutStatus } = booking.event('cancelled');
    await tutorgo.publish('booking.cancelled', withoutStatus);
    await waitForBooking(booking.bookingId, 'cancelled');
  });

  it('when malformed events arrive, then each is parked on the dead-letter queue with its reason and the next good event is still applied', async () => {
    const student = newUserId('student');
    const tutor = newUserId('tutor');
    const booking = bookingOf(student, tutor);
    const deadLetters = topologyNames(stack.namespace).deadLetterQueue(
      topologyNames(stack.namespace).bookingQueue,
    );
    const malformed: [string, unknown, RegExp][] = [
      ['booking.confirmed', Buffer.from('{"bookingId": "b-1", '), /not valid JSON/],
      ['booking.confirmed', { bookingId: booking.bookingId, studentId: student }, /tutorId/],
      ['booking.confirmed', booking.event('cancelled'), /does not match routing key/],
      ['booking.updated', booking.event('teleported'), /status/],
      ['booking.confirmed', { ...booking.event('confirmed'), studentId: 'a_b' }, /studentId/],
    ];

    for (const [routingKey, body, reason] of malformed) {
      await tutorgo.publish(routingKey, body);
      const parked = await tutorgo.nextMessage(deadLetters);
      expect(String(parked.properties.headers?.['x-poison-reason'])).toMatch(reason);
      expect(parked.properties.headers?.['x-original-routing-key']).toBe(routingKey);
    }

    await tutorgo.publish('booking.confirmed', booking.event('confirmed'));
    await waitForBooking(booking.bookingId, 'confirmed');
    const studentSocket = await connect(student);
    expect(await send(studentSocket, student, tutor)).toMatchObject({ ok: true });
  });
});
