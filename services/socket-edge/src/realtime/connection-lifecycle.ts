import { delivery } from '@chat/contracts';
import type { ChatPublisher } from '@chat/broker';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { UserBindings } from '../delivery/user-bindings';
import type { OfflineQueue } from '../state/offline-queue';
import type { Presence } from '../state/presence';
import { userRoom } from './rooms';
import { reportSocketError } from './socket-errors';
import { createTurnBatcher } from './turn-batcher';
import type { ChatSocket } from './types';

export interface ConversationsPort {
  partnersOf(userId: string): Promise<string[]>;
  totalUnread(userId: string): Promise<number>;
}

/**
 * The store's per-user lookups, each turn's batched into one query: after an edge restart the
 * whole crowd reconnects at once, and one query per socket would queue on the pool.
 */
export function batchPerTurn(store: {
  partnersOfEach(userIds: readonly string[]): Promise<Map<string, string[]>>;
  totalUnreadOfEach(userIds: readonly string[]): Promise<Map<string, number>>;
}): ConversationsPort {
  return {
    partnersOf: createTurnBatcher((userIds: string[]) => store.partnersOfEach(userIds)),
    totalUnread: createTurnBatcher((userIds: string[]) => store.totalUnreadOfEach(userIds)),
  };
}

export interface LifecycleDeps {
  bindings: UserBindings;
  presence: Presence;
  offlineQueue: OfflineQueue;
  conversations: ConversationsPort;
  publisher: ChatPublisher;
  logger: Logger;
  /** How long a socket must stay connected after `connected` before its queued messages count as received; default 2000 ms. */
  offlineConfirmMs?: number;
}

/** Longest timer Node accepts; tokens living longer are checked again when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * What happens between a socket's connection and its disconnection: the user room, this
 * node's binding (before the offline queue is read, so nothing falls between the two),
 * presence and partners' `user-online` / `user-offline`, `connected` with queued messages and
 * unread count, and the end of a token's life. Returns a promise that settles when the
 * socket is fully cleaned up.
 */
export function registerConnectionLifecycle(
  socket: ChatSocket,
  deps: LifecycleDeps,
): Promise<void> {
  const { bindings, presence, offlineQueue } = deps;
  const { userId, expiresAt } = socket.data.user;
  // Made when first needed: most sockets never log, and a child logger per socket is memory.
  let childLog: Logger | undefined;
  const log = () =>
    (childLog ??= deps.logger.child({ module: 'edge:connection', userId, socketId: socket.id }));
  const confirmMs = deps.offlineConfirmMs ?? 2000;
  let queuedTaken = false;
  let confirmTimer: NodeJS.Timeout | undefined;

  void socket.join(userRoom(userId));
  const expiryTimer = expiresAt ? scheduleExpiry(socket, expiresAt) : undefined;

  const notifyPartners = async (event: 'user-online' | 'user-offline') => {
    const partners = await deps.conversations.partnersOf(userId);
    await Promise.all(
      partners.map((partner) => deps.publisher.deliver(delivery(partner, event, { userId }))),
    );
  };

  const ready = (async () => {
    await bindings.addSocket(userId);
    // Sent together, in this order, on the one Redis connection: presence is set before the
    // queue is moved aside, and both leave in the turn's one write.
    const [added, taken] = await Promise.allSettled([
      presence.add(userId, socket.id),
      offlineQueue.take(userId, socket.id),
    ]);
    if (taken.status === 'fulfilled') queuedTaken = true;
    if (added.status === 'rejected') throw added.reason;
    if (taken.status === 'rejected') throw taken.reason;
    const { firstSocket } = added.value;
    // Read after the take: every queued message was counted before it was queued.
    const unreadCount = await deps.conversations.totalUnread(userId);
    if (socket.disconnected) return;
    socket.emit('connected', {
      userId,
      socketId: socket.id,
      timestamp: new Date().toISOString(),
      queuedMessages: taken.value,
      unreadCount,
    });
    confirmTimer = setTimeout(() => {
      confirmTimer = undefined;
      queuedTaken = false;
      offlineQueue
        .confirm(userId, socket.id)
        .catch((error: unknown) => log().warn({ err: error }, 'confirm failed'));
    }, confirmMs);
    if (firstSocket) await notifyPartners('user-online');
  })().catch((error: unknown) => {
    log().error({ err: error }, 'connection setup failed');
    reportSocketError(
      socket,
      log(),
      new AppError('UNAVAILABLE', 'Chat is temporarily unavailable, reconnect shortly'),
      {
        event: 'connect',
      },
    );
    socket.disconnect(true);
  });

  /** Runs one clean-up step; a failure is logged and does not stop the others. */
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      log().error({ err: error, step: name }, 'disconnect clean-up step failed');
      return undefined;
    }
  };

  return new Promise<void>((resolve) => {
    socket.once('disconnect', (reason) => {
      clearTimeout(expiryTimer);
      clearTimeout(confirmTimer);
      void (async () => {
        await ready;
        // Independent steps, each run whatever became of the others: one failure must not
        // leave the user bound here or "online" for good.
        const [, , removed] = await Promise.all([
          // Queued messages handed out but maybe never received: back in front of the queue.
          queuedTaken
            ? step('offline restore', () => offlineQueue.restore(userId, socket.id))
            : undefined,
          step('unbind', () => bindings.removeSocket(userId)),
          step('presence remove', () => presence.remove(userId, socket.id)),
        ]);
        if (removed?.lastSocket) await step('user-offline', () => notifyPartners('user-offline'));
        log().debug({ reason }, 'disconnected');
      })().finally(resolve);
    });
  });
}

function scheduleExpiry(socket: ChatSocket, expiresAt: Date): NodeJS.Timeout {
  const remaining = expiresAt.getTime() - Date.now();
  const timer = setTimeout(
    () => {
      if (Date.now() < expiresAt.getTime()) return;
      socket.emit('error', {
        code: 'TOKEN_EXPIRED',
        message: 'Your token has expired; reconnect with a new one',
      });
      socket.disconnect(true);
    },
    Math.min(Math.max(remaining, 0), MAX_TIMER_MS),
  );
  timer.unref();
  return timer;
}
