import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { Presence } from '../../adapters/presence';
import { handshakeRefusal } from './handshake-refusal';
import { userRoom } from './rooms';
import type { ChatServer, ChatSocket } from './chat-socket';

/**
 * Handshake middleware, after authentication: at most `maxSocketsPerUser` sockets per user
 * across every edge node (MAX_SOCKETS_PER_USER). Each socket costs a binding, Redis calls,
 * queries and presence fan-out, so the cap is checked before any of that. The presence set is
 * the live count: the check and the registration are one Redis script, and the connection
 * lifecycle reuses the result (`socket.data.firstSocket`) instead of registering again. One
 * socket too many gets `connect_error` TOO_MANY_SOCKETS; the user's other sockets are untouched.
 *
 * While Redis is away, connects still go through, capped per node by the sockets of the user's
 * room here; the lifecycle registers them in presence once it can.
 */
export function createSocketAdmission(deps: {
  io: ChatServer;
  presence: Presence;
  maxSocketsPerUser: number;
  logger: Logger;
}) {
  const log = deps.logger.child({ module: 'edge:admission' });
  const localSockets = (userId: string) =>
    deps.io.of('/').adapter.rooms.get(userRoom(userId))?.size ?? 0;

  return (socket: ChatSocket, next: (error?: Error) => void) => {
    const { userId } = socket.data.user;
    const refuse = (sockets: number) => {
      log.info({ userId, sockets }, 'connect refused: too many sockets for this user');
      next(
        handshakeRefusal(
          new AppError(
            'TOO_MANY_SOCKETS',
            `This user already has ${sockets} connections open (at most ${deps.maxSocketsPerUser}); close one and connect again`,
          ),
        ),
      );
    };
    deps.presence.admit(userId, socket.id, deps.maxSocketsPerUser).then(
      (admission) => {
        if (!admission.admitted) return refuse(admission.sockets);
        if (socket.conn.readyState !== 'open') {
          // The client went away during the check: Socket.IO drops the socket without a
          // `connection`, so nothing else would ever remove its presence entry.
          deps.presence
            .remove(userId, socket.id)
            .catch((error: unknown) =>
              log.warn({ err: error, userId }, 'presence of an abandoned handshake not removed'),
            );
          return next(new Error('the client went away during the handshake'));
        }
        socket.data.firstSocket = admission.firstSocket;
        next();
      },
      (error: unknown) => {
        const sockets = localSockets(userId);
        if (sockets >= deps.maxSocketsPerUser) return refuse(sockets);
        // Debug only: in an outage every connect would log it, and Redis' own errors are logged.
        log.debug(
          { err: error, userId },
          'presence unavailable; socket cap checked on this node only',
        );
        next();
      },
    );
  };
}
