import { delivery } from '@chat/contracts';
import type { ChatPublisher } from '@chat/broker';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { UserBindings } from '../delivery/user-bindings';
import type { OfflineQueue } from '../state/offline-queue';
import type { Presence } from '../state/presence';
import { userRoom } from './rooms';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './types';

export interface ConversationsPort {
  partnersOf(userId: string): Promise<string[]>;
  totalUnread(userId: string): Promise<number>;
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
  const log = deps.logger.child({ module: 'edge:connection', userId, socketId: socket.id });
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
    const { firstSocket } = await presence.add(userId, socket.id);
    const queuedMessages = await offlineQueue.take(userId, socket.id);
    queuedTaken = true;
    const unreadCount = await deps.conversations.totalUnread(userId);
    if (socket.disconnected) return;
    socket.emit('connected', {
      userId,
      socketId: socket.id,
      timestamp: new Date().toISOString(),
      queuedMessages,
      unreadCount,
    });
    confirmTimer = setTimeout(() => {
      confirmTimer = undefined;
      queuedTaken = false;
      offlineQueue
        .confirm(userId, socket.id)
        .catch((error: unknown) => log.warn({ err: error }, 'confirm failed'));
    }, confirmMs);
    if (firstSocket) await notifyPartners('user-online');
  })().catch((error: unknown) => {
    log.error({ err: error }, 'connection setup failed');
    reportSocketError(
      socket,
      log,
      new AppError('UNAVAILABLE', 'Chat is temporarily unavailable, reconnect shortly'),
      {
        event: 'connect',
      },
    );
    socket.disconnect(true);
  });

  return new Promise<void>((resolve) => {
    socket.once('disconnect', (reason) => {
      clearTimeout(expiryTimer);
      clearTimeout(confirmTimer);
      void (async () => {
        await ready;
        // Queued messages handed out but maybe never received: back in front of the queue.
        if (queuedTaken) await offlineQueue.restore(userId, socket.id);
        await bindings.removeSocket(userId);
        const { lastSocket } = await presence.remove(userId, socket.id);
        if (lastSocket) await notifyPartners('user-offline');
        log.debug({ reason }, 'disconnected');
      })()
        .catch((error: unknown) => log.error({ err: error }, 'disconnect cleanup failed'))
        .finally(resolve);
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
