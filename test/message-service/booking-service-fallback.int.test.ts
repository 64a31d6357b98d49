import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { canonicalConversationId } from '@chat/contracts';
import { createBookingStore, createDb, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import {
  testServiceUrls,
  connectUser,
  eventually,
  sendWithAck,
  type ClientSocket,
  connectTutorGoEvents,
  type TutorGoEvents,
} from '@chat/testing';
import {
  createBookingServiceClient,
  type BookingServiceClient,
  type BookingServiceConfig,
} from '../../services/message-service/src/adapters/booking-service-client';
import { loadMessageServiceConfig } from '../../services/message-service/src/config';
import { createEntitlementChecker } from '../../services/message-service/src/domain/entitlement-checker';
import { startChatStack, type ChatStack } from '../support/chat-stack';
import {
  answer,
  bookingsAnswer,
  startBookingServiceStub,
  type BookingServiceStub,
} from '../../services/message-service/test/support/booking-service-stub';

const silent = createLogger({ service: 'test', level: 'silent' });
const newUser = () => `u-${randomUUID()}`;
/** Resolves with 'allowed' or the code of the AppError the check threw. */
const outcome = (check: Promise<void>) =>
  check.then(
    () => 'allowed',
    (error: { code?: string }) => error.code ?? String(error),
  );

describe('booking service fallback (real HTTP server)', () => {
  let db: Db;
  let stub: BookingServiceStub;
  const clients: BookingServiceClient[] = [];

  beforeAll(async () => {
    db = createDb({ url: testServiceUrls().databaseUrl, poolMax: 4 }, silent);
    stub = await startBookingServiceStub();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    stub.requests.length = 0;
  });
  afterAll(async () => {
    await stub.close();
    await db.close();
  });

  function checkerWith(overrides: Partial<BookingServiceConfig> = {}, logger = silent) {
    const client = createBookingServiceClient(
      {
        baseUrl: stub.url,
        pathTemplate: loadMessageServiceConfig({}).bookingServicePath,
        timeoutMs: 300,
        errorThresholdPercentage: 50,
        volumeThreshold: 3,
        resetTimeoutMs: 500,
        cacheTtlMs: 60_000,
        ...overrides,
      },
      logger,
    );
    clients.push(client);
    const checker = createEntitlementChecker({
      bookings: createBookingStore(db.knex),
      allowedStatuses: ['confirmed'],
      bookingService: client,
      logger,
    });
    return { client, checker };
  }

  it('when the projection does not know the pair and the service reports a confirmed booking, then they may chat and the answer is reused', async () => {
    const { checker } = checkerWith();
    const [a, b] = [newUser(), newUser()];
    stub.behave(bookingsAnswer('cancelled', 'confirmed'));

    expect(await outcome(checker.assertCanChat(a, b))).toBe('allowed');
    expect(await outcome(checker.assertCanChat(b, a))).toBe('allowed');

    expect(stub.requests).toEqual([`/bookings/entitlement?userA=${a}&userB=${b}`]);
  });

  it('when the cached answer is older than the cache TTL, then the service is asked again', async () => {
    const { checker } = checkerWith({ cacheTtlMs: 50 });
    const [a, b] = [newUser(), newUser()];
    stub.behave(bookingsAnswer('confirmed'));

    await checker.assertCanChat(a, b);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await checker.assertCanChat(a, b);

    expect(stub.requests).toHaveLength(2);
  });

  it('when the service reports no booking in an allowed status, then BOOKING_REQUIRED', async () => {
    const { checker } = checkerWith();
    stub.behave(bookingsAnswer('cancelled', 'pending'));
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe('BOOKING_REQUIRED');
    stub.behave(bookingsAnswer());
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe('BOOKING_REQUIRED');
  });

  it('when the projection knows the pair, then it decides alone and the service is not asked', async () => {
    const { checker } = checkerWith();
    const [student, tutor] = [newUser(), newUser()];
    await createBookingStore(db.knex).applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: student,
      tutorId: tutor,
      status: 'cancelled',
      occurredAt: new Date(),
    });
    stub.behave(bookingsAnswer('confirmed'));

    expect(await outcome(checker.assertCanChat(student, tutor))).toBe('BOOKING_REQUIRED');
    expect(stub.requests).toEqual([]);
  });

  it('when no booking service is configured, then an unknown pair gets BOOKING_REQUIRED', async () => {
    const checker = createEntitlementChecker({
      bookings: createBookingStore(db.knex),
      allowedStatuses: ['confirmed'],
    });
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe('BOOKING_REQUIRED');
  });

  it('when the answer is slower than the timeout, then BOOKING_CHECK_UNAVAILABLE, retryable, about when the timeout passes', async () => {
    const { checker } = checkerWith({ timeoutMs: 300 });
    stub.behave(answer(200, { bookings: [{ bookingId: 'b', status: 'confirmed' }] }, 3000));

    const started = Date.now();
    const error = await checker.assertCanChat(newUser(), newUser()).catch((e: unknown) => e);
    const elapsed = Date.now() - started;

    expect(error).toMatchObject({ code: 'BOOKING_CHECK_UNAVAILABLE', retryable: true });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it('when the service answers with an error status or a body outside the contract, then BOOKING_CHECK_UNAVAILABLE, never BOOKING_REQUIRED', async () => {
    const { checker } = checkerWith({ volumeThreshold: 100 });
    for (const behaviour of [
      answer(503, { error: 'maintenance' }),
      answer(404, { error: 'no such route' }),
      answer(200, 'not json'),
      answer(200, { bookings: 'confirmed' }),
    ]) {
      stub.behave(behaviour);
      expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe(
        'BOOKING_CHECK_UNAVAILABLE',
      );
    }
  });

  it('when lookups keep failing, then the breaker opens after the volume threshold and fails fast, and a successful half-open probe closes it', async () => {
    const logged: { msg: string; breaker?: string }[] = [];
    const logger = createLogger(
      { service: 'test', level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(JSON.parse(chunk.toString()) as { msg: string; breaker?: string });
          done();
        },
      }),
    );
    const { client, checker } = checkerWith({ volumeThreshold: 3, resetTimeoutMs: 500 }, logger);
    stub.behave(answer(500, { error: 'boom' }));

    for (let i = 0; i < 3; i++) {
      expect(client.state).toBe('closed');
      expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe(
        'BOOKING_CHECK_UNAVAILABLE',
      );
    }
    expect(client.state).toBe('open');
    expect(stub.requests).toHaveLength(3);

    // Open: refused at once, without a request, even once the service is healthy again.
    stub.behave(bookingsAnswer('confirmed'));
    const started = Date.now();
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe(
      'BOOKING_CHECK_UNAVAILABLE',
    );
    expect(Date.now() - started).toBeLessThan(100);
    expect(stub.requests).toHaveLength(3);

    await eventually(() => client.state === 'halfOpen', 3000);
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe('allowed');
    expect(client.state).toBe('closed');
    expect(stub.requests).toHaveLength(4);

    expect(logged.filter((line) => line.breaker).map((line) => line.breaker)).toEqual([
      'open',
      'halfOpen',
      'closed',
    ]);
  });

  it('when the half-open probe fails, then the breaker opens again', async () => {
    const { client, checker } = checkerWith({ volumeThreshold: 1, resetTimeoutMs: 300 });
    stub.behave(answer(500, {}));
    await outcome(checker.assertCanChat(newUser(), newUser()));
    expect(client.state).toBe('open');

    await eventually(() => client.state === 'halfOpen', 3000);
    expect(await outcome(checker.assertCanChat(newUser(), newUser()))).toBe(
      'BOOKING_CHECK_UNAVAILABLE',
    );
    expect(client.state).toBe('open');
    expect(stub.requests).toHaveLength(2);
  });
});

describe('booking service fallback through the chat stack', () => {
  let stack: ChatStack;
  let stub: BookingServiceStub;
  let tutorgo: TutorGoEvents;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stub = await startBookingServiceStub();
    tutorgo = await connectTutorGoEvents();
    stack = await startChatStack({
      label: 'fallback',
      env: {
        BOOKING_EVENTS_EXCHANGE: tutorgo.exchange,
        BOOKING_SERVICE_URL: stub.url,
        BOOKING_SERVICE_TIMEOUT_MS: '500',
        BOOKING_BREAKER_VOLUME_THRESHOLD: '100',
      },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack?.close();
    await tutorgo?.close();
    await stub?.close();
  });

  const sendFromNewUser = async () => {
    const [sender, receiver] = [newUser(), newUser()];
    const { socket } = await connectUser(stack.edgeUrls[0]!, sender);
    sockets.push(socket);
    return sendWithAck(socket, {
      conversationId: canonicalConversationId(sender, receiver),
      receiverId: receiver,
      message: 'booked elsewhere',
    });
  };

  it('when the booking service confirms a pair the projection does not know, then their message is stored', async () => {
    stub.behave(bookingsAnswer('confirmed'));
    expect(await sendFromNewUser()).toMatchObject({
      ok: true,
      message: { message: 'booked elsewhere' },
    });
  });

  it('when the booking service fails, then the sender gets the retryable BOOKING_CHECK_UNAVAILABLE, not BOOKING_REQUIRED', async () => {
    stub.behave(answer(503, {}));
    expect(await sendFromNewUser()).toEqual({
      ok: false,
      error: { code: 'BOOKING_CHECK_UNAVAILABLE', message: expect.any(String) },
    });
  });
});
