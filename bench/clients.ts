import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ConnectedPayload, ServerToClientEvents } from '@chat/contracts';
import { mintToken } from '@chat/testing';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Every socket the bench opened and has not closed, so that teardown can close the rest. */
const open = new Set<ClientSocket>();

/** A user id no other run uses: `<label>-<random>`. */
export const benchUserId = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

/**
 * Connects with the real socket.io-client over a websocket and waits for `connected`. Signing
 * a token costs the client about half a millisecond: pass `token` to sign ahead of a timing.
 * `localAddress` is the address the connection comes from (a gateway may route by it).
 */
export function connectUser(
  baseUrl: string,
  userId: string,
  options: { timeoutMs?: number; token?: string; localAddress?: string } = {},
): Promise<{ socket: ClientSocket; connected: ConnectedPayload }> {
  const { timeoutMs = 30_000, token = mintToken(userId), localAddress } = options;
  const socket: ClientSocket = io(baseUrl, {
    auth: { token },
    ...(localAddress && { localAddress }),
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  open.add(socket);
  socket.on('disconnect', () => open.delete(socket));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${userId}: no connected within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      closeSocket(socket);
      reject(error);
    };
    socket.once('connect_error', fail);
    socket.once('connected', (connected) => {
      clearTimeout(timer);
      socket.off('connect_error', fail);
      resolve({ socket, connected });
    });
  });
}

export function closeSocket(socket: ClientSocket): void {
  open.delete(socket);
  socket.disconnect();
}

export function closeAllSockets(): void {
  for (const socket of [...open]) closeSocket(socket);
}

/** Runs `work` over `items` with at most `limit` at a time; rejects on the first failure. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Polls `check` until it holds; rejects with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
