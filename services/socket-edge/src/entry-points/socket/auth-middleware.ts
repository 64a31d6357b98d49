import { extractBearerToken, type TokenVerifier } from '@chat/auth';
import { toAppError } from '@chat/errors';
import type { HandshakeRefusalData } from './handshake-refusal';
import type { ChatSocket } from './chat-socket';

/**
 * Handshake authentication: the token comes from `auth.token` (the spec's client) or an
 * `Authorization: Bearer` header. A refusal reaches the client as `connect_error` whose
 * message says why and whose `data.code` is the error code.
 */
export function createAuthMiddleware(verifier: TokenVerifier) {
  return (socket: ChatSocket, next: (error?: Error) => void) => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    const token = auth?.token ?? extractBearerToken(socket.handshake.headers.authorization);
    try {
      socket.data.user = verifier.verify(token);
      forgetHandshakeLeftovers(socket);
      next();
    } catch (error) {
      const coded = toAppError(error);
      const refusal = new Error(coded.message) as Error & { data: HandshakeRefusalData };
      refusal.data = { code: coded.code };
      next(refusal);
    }
  };
}

/**
 * What a socket would otherwise hold for its whole life without any use: the token (a
 * credential, and a few hundred bytes) in the handshake, and the upgrade request, which
 * socket.io keeps only for middleware such as express-session (its memory-usage guide drops
 * it the same way; the handshake has what we read of it).
 */
function forgetHandshakeLeftovers(socket: ChatSocket): void {
  const auth = socket.handshake.auth as Record<string, unknown> | undefined;
  if (auth) delete auth.token;
  delete socket.handshake.headers.authorization;
  (socket.conn as unknown as { request: unknown }).request = null;
}
