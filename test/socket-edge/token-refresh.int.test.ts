import { io } from 'socket.io-client';
import { canonicalConversationId, type AuthAck } from '@chat/contracts';
import {
  TEST_JWT_SECRET,
  mintToken,
  confirmBooking,
  collect,
  newUserId,
  nextEvent,
  type ClientSocket,
} from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

const NOTICE_SEC = 2;
const nowSec = () => Math.floor(Date.now() / 1000);

/** A token jsonwebtoken would not sign: `alg: none` and no signature. */
function unsignedToken(userId: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ userId, exp: nowSec() + 3600 })}.`;
}

/** Refreshes one socket may make per minute here (AUTH_RATE_LIMIT); each test's socket is new. */
const AUTH_LIMIT = 3;

describe('socket-edge token lifetime and refresh', () => {
  let stack: ChatStack;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    stack = await startChatStack({
      label: 'token',
      env: { TOKEN_EXPIRY_NOTICE_SEC: String(NOTICE_SEC), AUTH_RATE_LIMIT: String(AUTH_LIMIT) },
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  afterAll(async () => {
    await stack.close();
  });

  /** Connects with `token` and waits for `connected`. */
  const connectWith = async (token: string): Promise<ClientSocket> => {
    const socket: ClientSocket = io(stack.edgeUrls[0]!, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
    await nextEvent(socket, 'connected');
    return socket;
  };

  const refresh = (socket: ClientSocket, payload: unknown): Promise<AuthAck> =>
    new Promise((resolve, reject) => {
      socket
        .timeout(10_000)
        .emit(
          'auth',
          payload as never,
          ((error: Error | null, ack: AuthAck) => (error ? reject(error) : resolve(ack))) as never,
        );
    });

  /**
   * A sentinel round trip: the socket is still served, as `userId` — only a member may join a
   * conversation, and only `userId` has a booking in this one.
   */
  const expectServedAs = async (socket: ClientSocket, userId: string) => {
    const partner = newUserId('partner');
    await confirmBooking(stack.db, userId, partner);
    const conversationId = canonicalConversationId(userId, partner);
    socket.emit('join-conversation', conversationId);
    expect(await nextEvent(socket, 'joined-conversation')).toMatchObject({ conversationId });
    expect(socket.connected).toBe(true);
  };

  /** Every token-expiring, error and disconnect from now on, in arrival order, with its time. */
  const recordEnd = (socket: ClientSocket) => {
    const seen: { what: string; at: number; payload?: unknown }[] = [];
    socket.on('token-expiring', (payload) =>
      seen.push({ what: 'token-expiring', at: Date.now(), payload }),
    );
    socket.on('error', (payload) => seen.push({ what: `error ${payload.code}`, at: Date.now() }));
    const disconnected = new Promise<string>((resolve) =>
      socket.once('disconnect', (reason) => {
        seen.push({ what: `disconnect (${reason})`, at: Date.now() });
        resolve(reason);
      }),
    );
    return { seen, disconnected };
  };

  it('when a token without exp connects, then connect_error refuses it as UNAUTHENTICATED', async () => {
    const socket: ClientSocket = io(stack.edgeUrls[0]!, {
      auth: { token: mintToken(newUserId(), { expiresIn: null }) },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);

    const error = await new Promise<Error & { data?: { code: string } }>((resolve, reject) => {
      socket.on('connect', () => reject(new Error('connected although it should not')));
      socket.on('connect_error', resolve);
    });

    expect(error.data?.code).toBe('UNAUTHENTICATED');
    expect(error.message).toBe(
      'The token has no expiry (exp); tokens that never expire are refused',
    );
  });

  it('when the token nears its exp, then token-expiring comes TOKEN_EXPIRY_NOTICE_SEC before it, and at exp TOKEN_EXPIRED arrives before the disconnect', async () => {
    const exp = nowSec() + NOTICE_SEC + 2;
    const socket = await connectWith(mintToken(newUserId(), { claims: { exp } }));
    const { seen, disconnected } = recordEnd(socket);

    expect(await disconnected).toBe('io server disconnect');

    expect(seen.map(({ what }) => what)).toEqual([
      'token-expiring',
      'error TOKEN_EXPIRED',
      'disconnect (io server disconnect)',
    ]);
    expect(seen[0]!.payload).toEqual({ expiresAt: new Date(exp * 1000).toISOString() });
    expect(seen[0]!.at).toBeLessThan(exp * 1000);
    expect(seen[1]!.at).toBeGreaterThanOrEqual(exp * 1000);
  });

  it('when a socket sends auth with a fresh token of its user, then the ack gives the new expiresAt and it outlives the old exp', async () => {
    const userId = newUserId();
    const shortLived = mintToken(userId, { expiresIn: 3 });
    const refreshed = await connectWith(shortLived);
    const control = await connectWith(shortLived);
    const errors = collect(refreshed, 'error');
    const controlEnd = recordEnd(control);
    const freshExp = nowSec() + 3600;

    const ack = await refresh(refreshed, {
      token: mintToken(userId, { claims: { exp: freshExp } }),
    });

    expect(ack).toEqual({ ok: true, expiresAt: new Date(freshExp * 1000).toISOString() });
    // The same user's socket that kept the old token is cut at the old exp …
    expect(await controlEnd.disconnected).toBe('io server disconnect');
    expect(controlEnd.seen.map(({ what }) => what)).toContain('error TOKEN_EXPIRED');
    // … and the refreshed one is still served, with nothing said about its token.
    await expectServedAs(refreshed, userId);
    expect(errors).toEqual([]);
  });

  it('when the fresh token expires sooner than the current one, then the socket ends at the new exp', async () => {
    const userId = newUserId();
    const socket = await connectWith(mintToken(userId));
    const { seen, disconnected } = recordEnd(socket);

    const ack = await refresh(socket, { token: mintToken(userId, { expiresIn: 2 }) });

    expect(ack).toMatchObject({ ok: true });
    expect(await disconnected).toBe('io server disconnect');
    expect(seen.map(({ what }) => what)).toContain('error TOKEN_EXPIRED');
  });

  it("when auth carries another user's token, then FORBIDDEN, and the socket keeps its own user and token until that expires", async () => {
    const userId = newUserId();
    const exp = nowSec() + 3;
    const socket = await connectWith(mintToken(userId, { claims: { exp } }));
    const { seen, disconnected } = recordEnd(socket);
    const intruder = newUserId('intruder');

    const ack = await refresh(socket, { token: mintToken(intruder) });

    expect(ack).toEqual({
      ok: false,
      error: {
        code: 'FORBIDDEN',
        message: "The token is another user's; a socket keeps its user (reconnect to switch users)",
      },
    });
    await expectServedAs(socket, userId);
    // Still the old token: it ends at its own exp.
    expect(await disconnected).toBe('io server disconnect');
    expect(seen.map(({ what }) => what)).toContain('error TOKEN_EXPIRED');
    expect(seen.at(-1)!.at).toBeGreaterThanOrEqual(exp * 1000);
  });

  it.each([
    ['expired', 'TOKEN_EXPIRED', (userId: string) => mintToken(userId, { expiresIn: -60 })],
    ['unsigned (alg none)', 'UNAUTHENTICATED', unsignedToken],
    ['without exp', 'UNAUTHENTICATED', (userId: string) => mintToken(userId, { expiresIn: null })],
    [
      'signed with another secret',
      'UNAUTHENTICATED',
      (userId: string) => mintToken(userId, { secret: `${TEST_JWT_SECRET}-other` }),
    ],
    [
      'a refresh token',
      'UNAUTHENTICATED',
      (userId: string) => mintToken(userId, { claims: { token_type: 'refresh' } }),
    ],
  ])(
    'when auth carries a token that is %s, then the ack refuses it with %s and the socket stays',
    async (_label, code, makeToken) => {
      const userId = newUserId();
      const socket = await connectWith(mintToken(userId));

      const ack = await refresh(socket, { token: makeToken(userId) });

      expect(ack).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      await expectServedAs(socket, userId);
    },
  );

  it.each([
    ['a bare string', 'just-a-token'],
    ['an empty object', {}],
    ['a token that is not a string', { token: 42 }],
    ['an empty token', { token: '' }],
    ['an unknown key', { token: 'x.y.z', userId: 'someone-else' }],
  ])(
    'when the auth payload is %s, then the ack says VALIDATION_FAILED and the socket stays',
    async (_label, payload) => {
      const userId = newUserId();
      const socket = await connectWith(mintToken(userId));

      const ack = await refresh(socket, payload);

      expect(ack).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: 'auth takes { token: "<access token>" }' },
      });
      await expectServedAs(socket, userId);
    },
  );

  it('when auth is sent without an ack and fails, then the refusal arrives as an error event', async () => {
    const userId = newUserId();
    const socket = await connectWith(mintToken(userId));

    socket.emit('auth', { token: mintToken(newUserId('other')) });

    expect(await nextEvent(socket, 'error')).toEqual({
      code: 'FORBIDDEN',
      message: "The token is another user's; a socket keeps its user (reconnect to switch users)",
      event: 'auth',
    });
    await expectServedAs(socket, userId);
  });

  it('when a socket sends more auth events than AUTH_RATE_LIMIT, then the extra ones get RATE_LIMITED, the socket keeps its token, and other sockets may still refresh', async () => {
    const userId = newUserId();
    const socket = await connectWith(mintToken(userId));
    const other = await connectWith(mintToken(userId));

    const acks = [];
    for (let n = 0; n <= AUTH_LIMIT; n++)
      acks.push(await refresh(socket, { token: mintToken(userId) }));

    expect(acks.slice(0, AUTH_LIMIT)).toEqual(
      Array.from({ length: AUTH_LIMIT }, () => ({ ok: true, expiresAt: expect.any(String) })),
    );
    expect(acks[AUTH_LIMIT]).toEqual({
      ok: false,
      error: { code: 'RATE_LIMITED', message: expect.stringContaining('token refreshes') },
    });
    await expectServedAs(socket, userId);
    expect(await refresh(other, { token: mintToken(userId) })).toMatchObject({ ok: true });
  });
});
