import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ConnectedPayload,
  SendMessageAck,
  ServerToClientEvents,
  SignalAck,
} from '@chat/contracts';
import { eventually } from './eventually';
import { mintToken } from './tokens';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects with the real socket.io-client and waits for `connected`. */
export async function connectUser(
  baseUrl: string,
  userId: string,
): Promise<{ socket: ClientSocket; connected: ConnectedPayload }> {
  const socket: ClientSocket = io(baseUrl, {
    auth: { token: mintToken(userId) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const connected = await nextEvent(socket, 'connected');
  return { socket, connected };
}

/** A refused handshake as the client sees it: `data.code` (and `retryAfterSec`) from the server. */
export type HandshakeRefusal = Error & { data?: { code?: string; retryAfterSec?: number } };

/**
 * Connects and resolves with the socket once `connected` arrives, or with the connect_error
 * (the socket then closed), for tests of what the handshake refuses.
 */
export function tryConnect(
  url: string,
  userId: string,
  headers?: Record<string, string>,
): Promise<{ socket: ClientSocket; refusal?: HandshakeRefusal }> {
  const socket: ClientSocket = io(url, {
    auth: { token: mintToken(userId) },
    extraHeaders: headers,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    socket.once('connected', () => resolve({ socket }));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      resolve({ socket, refusal: error as HandshakeRefusal });
    });
  });
}

/** Resolves with the next payload of `event`, or rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, listener as never);
  });
}

/** Records every payload of `event` from now on. */
export function collect<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  socket.on(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) =>
    seen.push(payload)) as never);
  return seen;
}

/** Emits send-message with an acknowledgement and resolves with it. */
export function sendWithAck(
  socket: ClientSocket,
  payload: unknown,
  timeoutMs = 15_000,
): Promise<SendMessageAck> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(timeoutMs)
      .emit(
        'send-message',
        payload as never,
        ((error: Error | null, ack: SendMessageAck) =>
          error ? reject(error) : resolve(ack)) as never,
      );
  });
}

/** Emits `typing` or `mark-delivered` (any payload, malformed too) with an acknowledgement and resolves with it. */
export function signalWithAck(
  socket: ClientSocket,
  event: 'typing' | 'mark-delivered',
  payload: unknown,
  timeoutMs = 10_000,
): Promise<SignalAck> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(timeoutMs)
      .emit(
        event,
        payload as never,
        ((error: Error | null, ack: SignalAck) => (error ? reject(error) : resolve(ack))) as never,
      );
  });
}

/**
 * Proves that nothing more is on its way to a receiver without waiting out a fixed time: sends
 * one more message, `text`, from `socket` into the conversation and waits until each of
 * `receivedBy` (the receivers' collected `new-message`s) holds it. A conversation's messages
 * reach each receiver in order, so whatever sent before it was going to arrive has arrived.
 */
export async function sendSentinel(
  socket: ClientSocket,
  to: { conversationId: string; receiverId: string },
  receivedBy: readonly (readonly { message: string }[])[],
  text = 'sentinel',
): Promise<void> {
  const ack = await sendWithAck(socket, { ...to, message: text });
  if (!ack.ok) throw new Error(`the sentinel was refused: ${ack.error.code}`);
  await eventually(
    () => receivedBy.every((received) => received.some((m) => m.message === text)),
    10_000,
    `every receiver to get the sentinel "${text}"`,
  );
}
