import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { AuthUser } from '@chat/auth';
import type { Server, Socket } from 'socket.io';

export interface SocketData {
  user: AuthUser;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, {}, SocketData>;
