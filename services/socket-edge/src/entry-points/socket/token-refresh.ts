import type { TokenVerifier } from '@chat/auth';
import { authPayloadSchema, type AuthAck } from '@chat/contracts';
import { AppError, toAppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import { reportSocketError } from './socket-errors';
import { extendTokenExpiry } from './token-expiry';
import type { ChatSocket } from './chat-socket';

export interface TokenRefreshDeps {
  /** The verifier of the handshake: a refreshed token passes the same checks. */
  verifier: TokenVerifier;
  /** Per socket: each verification costs CPU, so a socket may not ask for it without end. */
  rateLimit: RateLimit;
  logger: Logger;
}

type AuthListener = (this: ChatSocket, payload: unknown, maybeAck?: unknown) => void;

/**
 * The `auth` listener: `{ token }` with a fresh access token of the socket's own user replaces
 * the socket's token, and its expiry follows the new exp; the ack gets
 * `{ ok: true, expiresAt }`. Anything else — a malformed payload (VALIDATION_FAILED), a
 * token refused by the verifier (UNAUTHENTICATED, TOKEN_EXPIRED), another user's token
 * (FORBIDDEN: a socket never changes users) or one refresh too many (RATE_LIMITED) — gets `{ ok: false, error }` in the ack, or
 * an `error` event without one, and the socket keeps its current token until that one expires.
 *
 * One listener serves every socket (`socket.on('auth', listener)`; the socket is `this`), so a
 * socket that stays for hours holds no closure of its own for it.
 */
export function createTokenRefresh(deps: TokenRefreshDeps): AuthListener {
  const log = deps.logger.child({ module: 'edge:token-refresh' });
  return function onAuth(this: ChatSocket, payload: unknown, maybeAck?: unknown): void {
    const ack =
      typeof maybeAck === 'function' ? (maybeAck as (result: AuthAck) => void) : undefined;
    deps.rateLimit
      .take(this.id)
      .then(() => refreshToken(this, payload, deps.verifier, log))
      .then(
        ({ expiresAt }) => ack?.({ ok: true, expiresAt: expiresAt.toISOString() }),
        (error: unknown) => {
          if (!ack) {
            reportSocketError(this, log, error, { event: 'auth' });
            return;
          }
          const coded = toAppError(error);
          if (coded.code === 'INTERNAL')
            log.error({ err: error, event: 'auth' }, 'client event failed');
          ack({ ok: false, error: { code: coded.code, message: coded.message } });
        },
      );
  };
}

function refreshToken(
  socket: ChatSocket,
  payload: unknown,
  verifier: TokenVerifier,
  log: Logger,
): { expiresAt: Date } {
  const parsed = authPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'auth takes { token: "<access token>" }');
  }
  const user = verifier.verify(parsed.data.token);
  const current = socket.data.user;
  if (user.userId !== current.userId) {
    // Never the token or its user id: only that a socket tried to switch users.
    log.warn(
      { userId: current.userId, socketId: socket.id },
      "auth with another user's token refused",
    );
    throw new AppError(
      'FORBIDDEN',
      "The token is another user's; a socket keeps its user (reconnect to switch users)",
    );
  }
  socket.data.user = user;
  extendTokenExpiry(socket);
  return { expiresAt: user.expiresAt };
}
