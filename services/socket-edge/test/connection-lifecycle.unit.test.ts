import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChatPublisher } from '@chat/broker';
import { createLogger } from '@chat/observability';
import type { UserBindings } from '../src/adapters/user-bindings';
import { batchPerTurn } from '../src/domain/conversations-port';
import { registerConnectionLifecycle } from '../src/entry-points/socket/connection-lifecycle';
import type { ChatSocket } from '../src/entry-points/socket/chat-socket';
import type { OfflineQueue } from '../src/adapters/offline-queue';
import type { Presence } from '../src/adapters/presence';

/** What registerConnectionLifecycle uses of a socket; `drop()` is the client going away. */
function fakeSocket(userId: string, expiresAt = new Date(Date.now() + 3_600_000)) {
  const emitted: string[] = [];
  let onDisconnect: ((reason: string) => void) | undefined;
  const socket = {
    id: `socket-of-${userId}`,
    data: { user: { userId, expiresAt } },
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
    isOnline: (userId: string) => Promise.resolve(!userId.startsWith('offline')),
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
    onConnect: () =>
      Promise.resolve({ unreadCount: 0, partners: ['offline-partner', 'partner-1'] }),
    partnersOf: () => Promise.resolve(['offline-partner', 'partner-1']),
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
      // The user's last socket is gone: online partners hear it unless presence itself failed.
      expect(published).toEqual(
        failing.includes('presence remove')
          ? ['user-online to partner-1']
          : ['user-online to partner-1', 'user-offline to partner-1'],
      );
    },
  );
});

describe('connection lifecycle: partners', () => {
  it('when one partner is offline, then user-online and user-offline go to the online one only', async () => {
    const { published, deps } = arrange([]);
    const { socket, drop } = fakeSocket('user-1');

    const cleanedUp = registerConnectionLifecycle(socket, deps);
    await new Promise((resolve) => setImmediate(resolve));
    drop();
    await cleanedUp;

    expect(published).toEqual(['user-online to partner-1', 'user-offline to partner-1']);
  });
});

describe('connection lifecycle: token expiry', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const liveHeapMb = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };

  it('when 50,000 sockets whose tokens run for another hour leave, then their expiry timers leave nothing behind', async () => {
    // Ports that remember nothing, so whatever stays is the lifecycle's.
    const deps = {
      ...arrange([]).deps,
      bindings: { addSocket: async () => {}, removeSocket: async () => {} },
      presence: {
        add: async () => ({ firstSocket: false }),
        remove: async () => ({ lastSocket: false }),
        isOnline: async () => false,
      },
      offlineQueue: { take: async () => [], confirm: async () => {}, restore: async () => {} },
    } as unknown as Parameters<typeof registerConnectionLifecycle>[1];
    const leave = async (count: number) => {
      const now = Date.now();
      for (let index = 0; index < count; index++) {
        // A different expiry per socket, as tokens minted at different moments have.
        const { socket, drop } = fakeSocket(`u${index}`, new Date(now + 3_600_000 + index * 7));
        const cleanedUp = registerConnectionLifecycle(socket, deps);
        drop();
        await cleanedUp;
      }
    };
    await leave(1000);
    const before = liveHeapMb();

    await leave(50_000);

    // An unref'd timer's list stays after clearTimeout until its delay passes: ~150 bytes a socket.
    expect(liveHeapMb() - before).toBeLessThan(2);
  });
});

describe('connection lifecycle: lookups batched per turn', () => {
  it('when users connect in one turn, then one query answers all, partners included', async () => {
    const queries: { userIds: readonly string[]; withPartners: readonly string[] }[] = [];
    const lookups = batchPerTurn(
      {
        partnersOfEach: () => Promise.reject(new Error('not asked for here')),
        unreadAndPartnersOfEach: (userIds, withPartners) => {
          queries.push({ userIds, withPartners });
          return Promise.resolve(
            new Map(
              userIds.map((userId) => [
                userId,
                { unread: userId.length, partners: [`partner-of-${userId}`] },
              ]),
            ),
          );
        },
      },
      { allowedStatuses: ['confirmed'] },
    );

    const answers = await Promise.all([
      lookups.onConnect('first'),
      lookups.onConnect('second'),
      lookups.onConnect('third'),
    ]);
    const later = await lookups.onConnect('first');

    expect(answers).toEqual([
      { unreadCount: 5, partners: ['partner-of-first'] },
      { unreadCount: 6, partners: ['partner-of-second'] },
      { unreadCount: 5, partners: ['partner-of-third'] },
    ]);
    expect(later).toEqual({ unreadCount: 5, partners: ['partner-of-first'] });
    expect(queries).toEqual([
      { userIds: ['first', 'second', 'third'], withPartners: ['first', 'second', 'third'] },
      { userIds: ['first'], withPartners: ['first'] },
    ]);
  });
});
