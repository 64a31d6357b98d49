import type { ChatSocket } from './chat-socket';

/** Longest timer Node accepts; tokens living longer are checked again when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export interface TokenExpiryOptions {
  /** How long past its token's exp a socket stays (JWT_CLOCK_TOLERANCE_SEC, as the verifier allows); default 0. */
  graceMs?: number;
  /** How long before its token's exp the socket gets `token-expiring` (TOKEN_EXPIRY_NOTICE_SEC); 0, the default, sends none. */
  noticeMs?: number;
}

/**
 * One socket's token timer. The socket rides along as the timer's argument rather than in
 * closures, and the options are shared by every socket: one small object per socket. The
 * token's exp is read from `socket.data.user` whenever the timer is armed, so a token
 * refreshed with `auth` moves the deadline by re-arming (extendTokenExpiry).
 */
export interface TokenExpiry {
  readonly socket: ChatSocket;
  readonly options: Readonly<TokenExpiryOptions>;
  /** Whether `token-expiring` went out for the current token. */
  noticed: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Emits `token-expiring` noticeMs before the token's exp, then TOKEN_EXPIRED and a disconnect
 * graceMs after it. Delays are rounded up to whole seconds (at most a second late), so sockets
 * share Node's per-duration timer lists, and the timer is not unref'd: Node keeps the list of
 * an unref'd timer after clearTimeout until its delay has passed, and every socket's delay
 * differs — a cleared token timer held ~150 bytes per socket for as long as the token was
 * valid, long after its user left.
 */
export function startTokenExpiry(
  socket: ChatSocket,
  options: Readonly<TokenExpiryOptions>,
): TokenExpiry {
  const expiry: TokenExpiry = { socket, options, noticed: false };
  socket.data.tokenExpiry = expiry;
  armExpiry(expiry);
  return expiry;
}

/** The socket's token was replaced (socket.data.user): its deadline and notice follow the new exp. */
export function extendTokenExpiry(socket: ChatSocket): void {
  const expiry = socket.data.tokenExpiry;
  if (!expiry) return;
  clearTimeout(expiry.timer);
  expiry.noticed = false;
  armExpiry(expiry);
}

export function stopTokenExpiry(expiry: TokenExpiry): void {
  clearTimeout(expiry.timer);
}

function armExpiry(expiry: TokenExpiry): void {
  const exp = expiry.socket.data.user.expiresAt.getTime();
  const noticeMs = expiry.options.noticeMs ?? 0;
  const due =
    noticeMs > 0 && !expiry.noticed ? exp - noticeMs : exp + (expiry.options.graceMs ?? 0);
  const remaining = Math.ceil((due - Date.now()) / 1000) * 1000;
  expiry.timer = setTimeout(onTimer, Math.min(Math.max(remaining, 0), MAX_TIMER_MS), expiry);
}

function onTimer(expiry: TokenExpiry): void {
  const { socket, options } = expiry;
  const exp = socket.data.user.expiresAt.getTime();
  const now = Date.now();
  if (now >= exp + (options.graceMs ?? 0)) {
    socket.emit('error', {
      code: 'TOKEN_EXPIRED',
      message: 'Your token has expired; reconnect with a new one',
    });
    socket.disconnect(true);
    return;
  }
  const noticeMs = options.noticeMs ?? 0;
  if (noticeMs > 0 && !expiry.noticed && now >= exp - noticeMs) {
    expiry.noticed = true;
    socket.emit('token-expiring', { expiresAt: new Date(exp).toISOString() });
  }
  // Also where a token living longer than the longest timer gets another one.
  armExpiry(expiry);
}
