import { Writable } from 'node:stream';
import type { ChatPublisher } from '@chat/broker';
import { createLogger } from '@chat/observability';
import type { UserBindings } from '../src/delivery/user-bindings';
import { registerConnectionLifecycle } from '../src/realtime/connection-lifecycle';
import type { ChatSocket } from '../src/realtime/types';
import type { OfflineQueue } from '../src/state/offline-queue';
import type { Presence } from '../src/state/presence';

/** What registerConnectionLifecycle uses of a socket; `drop()` is the client going away. */
function fakeSocket(userId: string) {
  const emitted: string[] = [];
  let onDisconnect: ((reason: string) => void) | undefined;
  const socket = {
    id: `socket-of-${userId}`,
    data: { user: { userId } },
    disconnected: false,
    join: () => undefined,
    emit: (event: string) => emitted.push(event) > 0,
    once: (event: string, listener: (reason: string) => void) => {
      if (event === 'disconnect') onDisconnect = listener;
      return socket;
    },
    disconnect: () => {
      if (socket.disconnected) return socket;
      socket.disconnected = true;
      onDisconnect?.('server namespace disconnect');
      return socket;
    },
  };
  return { socket: socket as unknown as ChatSocket, emitted, drop: () => socket.disconnect() };
}

type Step = 'offline restore' | 'unbind' | 'presence remove';

/** A lifecycle whose ports record what they were asked; `failing` steps reject. */
function arrange(failing: Step[]) {
  const done: string[] = [];
  const step = (name: Step | 'user-offline') => {
    if (failing.includes(name as Step)) return Promise.reject(new Error(`${name} is down`));
    done.push(name);
    return Promise.resolve();
  };
  const lines: { msg: string; step?: string; err?: { message: string } }[] = [];
  const logger = createLogger(
    { service: 'test', level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        callback();
      },
    }),
  );
  const bindings = {
    addSocket: () => Promise.resolve(),
    removeSocket: () => step('unbind'),
  } as unknown as UserBindings;
  const presence = {
    add: () => Promise.resolve({ firstSocket: true }),
    remove: () => step('presence remove').then(() => ({ lastSocket: true })),
  } as unknown as Presence;
  const offlineQueue = {
    take: () => Promise.resolve([]),
    confirm: () => Promise.resolve(),
    restore: () => step('offline restore'),
  } as unknown as OfflineQueue;
  const published: string[] = [];
  const publisher = {
    deliver: (delivery: { event: string; userId: string }) => {
      published.push(`${delivery.event} to ${delivery.userId}`);
      return Promise.resolve();
    },
  } as unknown as ChatPublisher;
  const conversations = {
    partnersOf: () => Promise.resolve(['partner-1']),
    totalUnread: () => Promise.resolve(0),
  };
  const deps = { bindings, presence, offlineQueue, conversations, publisher, logger };
  // The queued messages stay unconfirmed, so a disconnect has to put them back.
  return { done, lines, published, deps: { ...deps, offlineConfirmMs: 60_000 } };
}

describe('connection lifecycle: disconnect clean-up', () => {
  const cases: Step[][] = [
    ['offline restore'],
    ['unbind'],
    ['presence remove'],
    ['offline restore', 'unbind'],
  ];

  it.each(cases.map((failing) => [failing.join(' and '), failing] as const))(
    'when %s fails, then every other step still runs and each failure is logged',
    async (_title, failing) => {
      const { done, lines, published, deps } = arrange(failing);
      const { socket, emitted, drop } = fakeSocket('user-1');

      const cleanedUp = registerConnectionLifecycle(socket, deps);
      await new Promise((resolve) => setImmediate(resolve));
      expect(emitted).toContain('connected');
      drop();
      await cleanedUp;

      const all: Step[] = ['offline restore', 'unbind', 'presence remove'];
      expect(done.sort()).toEqual(all.filter((name) => !failing.includes(name)).sort());
      const failures = lines.filter((line) => line.msg === 'disconnect clean-up step failed');
      expect(failures.map((line) => line.step).sort()).toEqual([...failing].sort());
      for (const line of failures) expect(line.err?.message).toBe(`${line.step} is down`);
      // The user's last socket is gone: partners hear it unless presence itself failed.
      expect(published).toEqual(
        failing.includes('presence remove')
          ? ['user-online to partner-1']
          : ['user-online to partner-1', 'user-offline to partner-1'],
      );
    },
  );
});
