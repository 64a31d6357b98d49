import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { canonicalConversationId, topologyNames, type DeliveryV1 } from '@chat/contracts';
import {
  metricValue,
  testServiceUrls,
  bookingOf,
  connectTutorGoEvents,
  type TutorGoEvents,
  confirmBooking,
  collect,
  connectUser,
  eventually,
  newUserId,
  nextEvent,
  sendWithAck,
  signalWithAck,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

/*
 * Two edges, so a notice crosses RabbitMQ from the typist's node to the partner's. The typing
 * rate limit is low so its test need not send many events; the others stay below it.
 */
describe('typing notices', () => {
  let stack: ChatStack;
  let tutorgo: TutorGoEvents;
  let amqp: ChannelModel;
  let channel: Channel;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    tutorgo = await connectTutorGoEvents();
    stack = await startChatStack({
      label: 'typing',
      edges: 2,
      env: {
        BOOKING_EVENTS_EXCHANGE: tutorgo.exchange,
        TYPING_RATE_LIMIT: '6',
        TYPING_RATE_WINDOW_SEC: '60',
      },
    });
    amqp = await amqplib.connect(testServiceUrls().rabbitmqUrl);
    channel = await amqp.createChannel();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await amqp?.close();
    await stack?.close();
    await tutorgo?.close();
  });

  const connect = async (userId: string, edge = 0) => {
    const { socket } = await connectUser(stack.edgeUrls[edge]!, userId);
    sockets.push(socket);
    return socket;
  };
  const type = (socket: ClientSocket, conversationId: string, isTyping = true) =>
    signalWithAck(socket, 'typing', { conversationId, isTyping });
  const edgeMetric = async (edge: number, name: string, labels: Record<string, string>) =>
    metricValue(await stack.edgeMetrics[edge]!.metrics(), name, labels);
  /** Two users with a confirmed booking, each connected: the typist on edge 0, the partner on edge 1. */
  const bookedAndConnected = async () => {
    const typist = newUserId('typist');
    const partner = newUserId('partner');
    await confirmBooking(stack.db, typist, partner);
    const typistSocket = await connect(typist, 0);
    const partnerSocket = await connect(partner, 1);
    return {
      typist,
      partner,
      conversationId: canonicalConversationId(typist, partner),
      typistSocket,
      partnerSocket,
    };
  };
  /**
   * Everything chat.delivery could not route from now on: a queue of the test's own bound to the
   * fanout alternate exchange gets a copy of each delivery that goes to chat.offline.
   */
  const watchUnrouted = async () => {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, topologyNames(stack.namespace).unroutedExchange, '');
    const seen: DeliveryV1[] = [];
    await channel.consume(
      queue,
      (message) => {
        if (message) seen.push(JSON.parse(message.content.toString()) as DeliveryV1);
      },
      { noAck: true },
    );
    return seen;
  };

  it('when a user types, then the partner on the other edge hears it, and neither the typist’s other socket nor a stranger does', async () => {
    const { typist, partner, conversationId, typistSocket, partnerSocket } =
      await bookedAndConnected();
    const typistElsewhere = await connect(typist, 1);
    const stranger = newUserId('stranger');
    await confirmBooking(stack.db, typist, stranger);
    const strangerSocket = await connect(stranger, 1);
    const atPartner = collect(partnerSocket, 'typing');
    const atTypistElsewhere = collect(typistElsewhere, 'typing');
    const atStranger = collect(strangerSocket, 'typing');

    const heard = nextEvent(partnerSocket, 'typing');
    expect(await type(typistSocket, conversationId)).toEqual({ ok: true });
    expect(await heard).toEqual({ conversationId, userId: typist, isTyping: true });

    // Sentinels: the partner types back to the typist's sockets, the typist to the stranger.
    const backAtTypist = nextEvent(typistElsewhere, 'typing');
    expect(await type(partnerSocket, conversationId)).toEqual({ ok: true });
    expect(await backAtTypist).toEqual({ conversationId, userId: partner, isTyping: true });
    const strangerConversation = canonicalConversationId(typist, stranger);
    const atStrangerNext = nextEvent(strangerSocket, 'typing');
    expect(await type(typistSocket, strangerConversation)).toEqual({ ok: true });
    await atStrangerNext;

    expect(atPartner).toEqual([{ conversationId, userId: typist, isTyping: true }]);
    expect(atTypistElsewhere).toEqual([{ conversationId, userId: partner, isTyping: true }]);
    expect(atStranger).toEqual([
      { conversationId: strangerConversation, userId: typist, isTyping: true },
    ]);
    expect(await edgeMetric(0, 'chat_typing_events_total', { outcome: 'relayed' })).toBeGreaterThan(
      0,
    );
  });

  it('when a typing true repeats within 2 s, then it is dropped silently and the false after it still arrives', async () => {
    const { typist, conversationId, typistSocket, partnerSocket } = await bookedAndConnected();
    const atPartner = collect(partnerSocket, 'typing');
    const throttledBefore = await edgeMetric(0, 'chat_typing_events_total', {
      outcome: 'throttled',
    });

    expect(await type(typistSocket, conversationId, true)).toEqual({ ok: true });
    expect(await type(typistSocket, conversationId, true)).toEqual({ ok: true });
    expect(await type(typistSocket, conversationId, false)).toEqual({ ok: true });
    // The false travels the path a relayed repeat would have taken before it: the sentinel.
    await eventually(() => atPartner.some((notice) => !notice.isTyping));

    expect(atPartner).toEqual([
      { conversationId, userId: typist, isTyping: true },
      { conversationId, userId: typist, isTyping: false },
    ]);
    expect(
      (await edgeMetric(0, 'chat_typing_events_total', { outcome: 'throttled' })) - throttledBefore,
    ).toBe(1);
  });

  it('when a socket changes its typing state more often than TYPING_RATE_LIMIT, then the excess gets RATE_LIMITED and the socket keeps working', async () => {
    const { partner, conversationId, typistSocket } = await bookedAndConnected();
    const acks = [];
    for (let i = 0; i < 7; i++) acks.push(await type(typistSocket, conversationId, i % 2 === 0));

    expect(acks.slice(0, 6)).toEqual(Array.from({ length: 6 }, () => ({ ok: true })));
    expect(acks[6]).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/typing events/) },
    });
    expect(
      await sendWithAck(typistSocket, {
        conversationId,
        receiverId: partner,
        message: 'still here',
      }),
    ).toMatchObject({ ok: true });
  });

  it('when the conversation does not name the typist, then it is NOT_A_MEMBER; without a booking, BOOKING_REQUIRED; and nothing reaches anyone', async () => {
    const typist = newUserId('typist');
    const [a, b] = [newUserId('a'), newUserId('b')];
    await confirmBooking(stack.db, a, b);
    const unbooked = newUserId('unbooked');
    const typistSocket = await connect(typist, 0);
    const aSocket = await connect(a, 1);
    const unbookedSocket = await connect(unbooked, 1);
    const atA = collect(aSocket, 'typing');
    const atUnbooked = collect(unbookedSocket, 'typing');
    const errors = collect(typistSocket, 'error');

    expect(await type(typistSocket, canonicalConversationId(a, b))).toEqual({
      ok: false,
      error: { code: 'NOT_A_MEMBER', message: expect.any(String) },
    });
    expect(await type(typistSocket, canonicalConversationId(typist, unbooked))).toEqual({
      ok: false,
      error: { code: 'BOOKING_REQUIRED', message: expect.any(String) },
    });
    expect(errors.map((error) => [error.code, error.event])).toEqual([
      ['NOT_A_MEMBER', 'typing'],
      ['BOOKING_REQUIRED', 'typing'],
    ]);

    // Sentinels: b types to a, and the unbooked user gets a booking and hears the typist.
    const atANext = nextEvent(aSocket, 'typing');
    const bSocket = await connect(b, 0);
    expect(await type(bSocket, canonicalConversationId(a, b))).toEqual({ ok: true });
    await atANext;
    await confirmBooking(stack.db, typist, unbooked);
    const atUnbookedNext = nextEvent(unbookedSocket, 'typing');
    expect(await type(typistSocket, canonicalConversationId(typist, unbooked))).toEqual({
      ok: true,
    });
    await atUnbookedNext;
    expect(atA.map((notice) => notice.userId)).toEqual([b]);
    expect(atUnbooked.map((notice) => notice.userId)).toEqual([typist]);
  });

  it('when a typing payload is malformed, then it is VALIDATION_FAILED and the socket stays usable', async () => {
    const { typist, conversationId, typistSocket, partnerSocket } = await bookedAndConnected();
    const malformed: unknown[] = [
      undefined,
      'typing',
      { conversationId },
      { conversationId, isTyping: 'yes' },
      { conversationId, isTyping: true, userId: 'someone-else' },
      { conversationId: 'no-underscore', isTyping: true },
      { conversationId: 42, isTyping: false },
    ];
    for (const payload of malformed) {
      expect(await signalWithAck(typistSocket, 'typing', payload)).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/typing/) },
      });
    }
    // Without an ack the refusal comes as an error event.
    const error = nextEvent(typistSocket, 'error');
    typistSocket.emit('typing', { conversationId } as never);
    expect(await error).toMatchObject({ code: 'VALIDATION_FAILED', event: 'typing' });

    const heard = nextEvent(partnerSocket, 'typing');
    expect(await type(typistSocket, conversationId)).toEqual({ ok: true });
    expect(await heard).toEqual({ conversationId, userId: typist, isTyping: true });
  });

  it('when the partner has no socket, then the notice is dropped at the edge: nothing in their offline queue, nothing through chat.offline', async () => {
    const typist = newUserId('typist');
    const partner = newUserId('absent');
    await confirmBooking(stack.db, typist, partner);
    const conversationId = canonicalConversationId(typist, partner);
    const typistSocket = await connect(typist, 0);
    const unrouted = await watchUnrouted();
    const offlineBefore = await edgeMetric(0, 'chat_typing_events_total', {
      outcome: 'partner_offline',
    });

    expect(await type(typistSocket, conversationId, true)).toEqual({ ok: true });
    expect(await type(typistSocket, conversationId, false)).toEqual({ ok: true });
    // Sentinel: a message to the absent partner takes the unrouted path to their offline queue.
    const sent = await sendWithAck(typistSocket, {
      conversationId,
      receiverId: partner,
      message: 'for later',
    });
    if (!sent.ok) throw new Error(`the sentinel send failed: ${sent.error.code}`);
    await eventually(() => unrouted.some((item) => item.event === 'new-message'));
    await eventually(async () => (await stack.redis.redis.llen(`offline:${partner}`)) === 1);

    expect(unrouted.map((item) => item.event)).toEqual(['new-message']);
    const queued = await stack.redis.redis.lrange(`offline:${partner}`, 0, -1);
    expect(queued.map((item) => (JSON.parse(item) as { id: string }).id)).toEqual([
      sent.message.id,
    ]);
    expect(
      (await edgeMetric(0, 'chat_typing_events_total', { outcome: 'partner_offline' })) -
        offlineBefore,
    ).toBe(2);
    for (const edge of [0, 1]) {
      expect(
        await edgeMetric(edge, 'chat_unrouted_deliveries_dropped_total', { event: 'typing' }),
      ).toBe(0);
    }
  });

  it('when the booking is cancelled, then typing is refused with BOOKING_REQUIRED as soon as the typist hears conversation-closed', async () => {
    const typist = newUserId('typist');
    const partner = newUserId('partner');
    const conversationId = canonicalConversationId(typist, partner);
    const booking = bookingOf(typist, partner);
    await tutorgo.publish('booking.confirmed', booking.event('confirmed', 5));
    await eventually(
      async () =>
        (
          await stack.db
            .knex('booking_entitlements')
            .where({ booking_id: booking.bookingId })
            .first()
        )?.status === 'confirmed',
    );
    const typistSocket = await connect(typist, 0);
    const partnerSocket = await connect(partner, 1);
    const atPartner = collect(partnerSocket, 'typing');
    const heard = nextEvent(partnerSocket, 'typing');
    // Remembered as allowed from here on: the cancellation must undo that at once.
    expect(await type(typistSocket, conversationId, true)).toEqual({ ok: true });
    await heard;

    const closed = nextEvent(typistSocket, 'conversation-closed');
    await tutorgo.publish('booking.cancelled', booking.event('cancelled'));
    expect(await closed).toEqual({ conversationId, reason: 'booking-cancelled' });

    expect(await type(typistSocket, conversationId, false)).toMatchObject({
      ok: false,
      error: { code: 'BOOKING_REQUIRED' },
    });
    // Sentinel: someone still booked with the partner types to them.
    const other = newUserId('other');
    await confirmBooking(stack.db, other, partner);
    const otherSocket = await connect(other, 0);
    const fromOther = nextEvent(partnerSocket, 'typing');
    expect(await type(otherSocket, canonicalConversationId(other, partner))).toEqual({
      ok: true,
    });
    await fromOther;
    expect(atPartner.map((notice) => [notice.userId, notice.isTyping])).toEqual([
      [typist, true],
      [other, true],
    ]);
  });
});
