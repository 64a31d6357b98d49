import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { io } from 'socket.io-client';
import { mintToken, newUserId, type ClientSocket } from '@chat/testing';
import { startChatStack, type ChatStack } from '../support/chat-stack';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap used after full collections, in MB: live objects only. */
async function liveHeapMb(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/**
 * liveHeapMb once two readings 200 ms apart agree within 1 MB: what departed sockets still hold
 * for a moment (their clean-up's last steps, unbinds on their way) is gone by then, so it is not
 * taken for the baseline. On a busy machine that moment lasts longer.
 */
async function settledHeapMb(): Promise<number> {
  let last = await liveHeapMb();
  for (let tries = 0; tries < 25; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await liveHeapMb();
    if (Math.abs(now - last) < 1) return Math.min(now, last);
    last = now;
  }
  return last;
}

/** Connects `count` users, one socket each, `concurrency` at a time; resolves with the sockets. */
async function connectMany(url: string, users: string[], concurrency = 50) {
  const sockets: ClientSocket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const userId = users[next++]!;
      const socket: ClientSocket = io(url, {
        auth: { token: mintToken(userId) },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connected', () => resolve());
        socket.once('connect_error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sockets;
}

async function disconnectAll(stack: ChatStack, sockets: ClientSocket[]): Promise<void> {
  for (const socket of sockets) socket.disconnect();
  const { engine } = stack.edges[0]!.io;
  while (engine.clientsCount > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await stack.edges[0]!.cleanedUp();
}

describe('idle sockets and memory', () => {
  let stack: ChatStack;

  beforeAll(async () => {
    stack = await startChatStack({ label: 'memory' });
  });
  afterAll(() => stack.close());

  it('when a socket is authenticated, then it keeps neither its token nor the upgrade request', async () => {
    const userId = newUserId();
    const [client] = await connectMany(stack.edgeUrls[0]!, [userId]);
    try {
      const [server] = [...stack.edges[0]!.io.of('/').sockets.values()].filter(
        (socket) => socket.data.user.userId === userId,
      );
      expect(server?.data.user.userId).toBe(userId);
      expect(server?.handshake.auth).toEqual({});
      expect(server?.handshake.headers.authorization).toBeUndefined();
      expect(server?.request).toBeNull();
    } finally {
      await disconnectAll(stack, [client!]);
    }
  });

  it('when 3000 users connect and all leave, then the heap comes back within 10 % and no per-user state is left', async () => {
    const url = stack.edgeUrls[0]!;
    // The first connections compile and cache what later ones reuse: not per-user state.
    await disconnectAll(stack, await connectMany(url, [newUserId('warm'), newUserId('warm')]));
    await disconnectAll(stack, await connectMany(url, Array.from({ length: 300 }, newUserId)));
    const before = await settledHeapMb();

    const users = Array.from({ length: 3000 }, () => newUserId('idle'));
    const sockets = await connectMany(url, users);
    const connected = await liveHeapMb();
    await disconnectAll(stack, sockets);
    sockets.length = 0;
    const after = await settledHeapMb();

    const leftOnline = await stack.redis.redis
      .pipeline(users.map((userId) => ['exists', `presence:${userId}`]))
      .exec();
    expect(leftOnline?.filter(([, exists]) => exists === 1)).toEqual([]);
    // Growth while connected: both ends of 3000 sockets, tens of MB, so a leak of even a tenth
    // of what a socket holds would show.
    expect(connected - before).toBeGreaterThan(20);
    expect({ before, after: Math.min(after, before * 1.1) }).toEqual({ before, after });
    expect(after - before).toBeLessThan((connected - before) / 10);
  }, 60_000);
});
