import {
  extendTokenExpiry,
  startTokenExpiry,
  stopTokenExpiry,
} from '../src/entry-points/socket/token-expiry';
import type { ChatSocket } from '../src/entry-points/socket/chat-socket';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** Node's longest timer: a token living longer must be checked again, not cut early or never. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** What the token timer uses of a socket, recording what it is told, in order. */
function fakeSocket(expiresAt: Date) {
  const told: string[] = [];
  const socket = {
    id: 'socket-1',
    data: { user: { userId: 'user-1', expiresAt } },
    emit: (event: string, payload: { code?: string; expiresAt?: string }) => {
      told.push(event === 'error' ? `error ${payload.code}` : `${event} ${payload.expiresAt}`);
      return true;
    },
    disconnect: () => {
      told.push('disconnect');
      return socket;
    },
  };
  return { socket: socket as unknown as ChatSocket, told };
}

describe('token expiry timer', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('when the exp is further away than the longest timer (40 days), then the socket is cut at its exp (within a second), not before', () => {
    const exp = new Date(Date.now() + 40 * DAY);
    const { socket, told } = fakeSocket(exp);

    startTokenExpiry(socket, {});
    jest.advanceTimersByTime(LONGEST_TIMER_MS + SECOND);
    expect(told).toEqual([]);
    jest.advanceTimersByTime(exp.getTime() - Date.now() - SECOND);
    expect(told).toEqual([]);
    // Delays are rounded up to whole seconds: the cut is at most a second after exp.
    jest.advanceTimersByTime(2 * SECOND);

    expect(told).toEqual(['error TOKEN_EXPIRED', 'disconnect']);
  });

  it('when a notice and a grace are set, then token-expiring comes notice before exp and TOKEN_EXPIRED then the disconnect grace after it', () => {
    const exp = new Date(Date.now() + 5 * MINUTE);
    const { socket, told } = fakeSocket(exp);

    startTokenExpiry(socket, { noticeMs: MINUTE, graceMs: 30 * SECOND });
    jest.advanceTimersByTime(4 * MINUTE - SECOND);
    expect(told).toEqual([]);
    jest.advanceTimersByTime(SECOND);
    expect(told).toEqual([`token-expiring ${exp.toISOString()}`]);
    jest.advanceTimersByTime(MINUTE + 29 * SECOND);
    expect(told).toHaveLength(1);
    jest.advanceTimersByTime(SECOND);

    expect(told).toEqual([
      `token-expiring ${exp.toISOString()}`,
      'error TOKEN_EXPIRED',
      'disconnect',
    ]);
  });

  it('when the token is already inside the notice window, then token-expiring comes at once', () => {
    const exp = new Date(Date.now() + 10 * SECOND);
    const { socket, told } = fakeSocket(exp);

    startTokenExpiry(socket, { noticeMs: MINUTE });
    jest.advanceTimersByTime(0);

    expect(told).toEqual([`token-expiring ${exp.toISOString()}`]);
  });

  it('when the token is replaced after its notice, then the old exp passes quietly and the new one gets its own notice and cut', () => {
    const oldExp = new Date(Date.now() + 2 * MINUTE);
    const newExp = new Date(Date.now() + 60 * MINUTE);
    const { socket, told } = fakeSocket(oldExp);
    startTokenExpiry(socket, { noticeMs: MINUTE });
    jest.advanceTimersByTime(MINUTE);
    expect(told).toEqual([`token-expiring ${oldExp.toISOString()}`]);

    socket.data.user = { ...socket.data.user, expiresAt: newExp };
    extendTokenExpiry(socket);
    jest.advanceTimersByTime(58 * MINUTE - SECOND);
    expect(told).toHaveLength(1);
    jest.advanceTimersByTime(MINUTE + SECOND);

    expect(told).toEqual([
      `token-expiring ${oldExp.toISOString()}`,
      `token-expiring ${newExp.toISOString()}`,
      'error TOKEN_EXPIRED',
      'disconnect',
    ]);
  });

  it('when the token is replaced by one expiring sooner, then the socket is cut at the sooner exp', () => {
    const { socket, told } = fakeSocket(new Date(Date.now() + 60 * MINUTE));
    startTokenExpiry(socket, {});

    socket.data.user = { ...socket.data.user, expiresAt: new Date(Date.now() + MINUTE) };
    extendTokenExpiry(socket);
    jest.advanceTimersByTime(MINUTE);

    expect(told).toEqual(['error TOKEN_EXPIRED', 'disconnect']);
  });

  it('when the timer is stopped (the socket left), then nothing is emitted at exp', () => {
    const { socket, told } = fakeSocket(new Date(Date.now() + MINUTE));
    const expiry = startTokenExpiry(socket, { noticeMs: 30 * SECOND });

    stopTokenExpiry(expiry);
    jest.advanceTimersByTime(2 * MINUTE);

    expect(told).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
