import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { AuthUser } from '@chat/auth';
import type { Server, Socket } from 'socket.io';
import type { TokenExpiry } from './token-expiry';

export interface SocketData {
  /** The user of the socket's current token; `auth` replaces it with a refreshed one. */
  user: AuthUser;
  /** The current token's timer (token-expiry.ts), so `auth` can move it. */
  tokenExpiry?: TokenExpiry;
  /**
   * Set by the handshake's admission (socket-admission.ts) once it registered the socket in
   * presence: whether it is the user's first socket anywhere. Unset when it could not (Redis
   * away): the connection lifecycle registers it then.
   */
  firstSocket?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;
