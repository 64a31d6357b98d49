import type { ChatPublisher } from '@chat/broker';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { UserBindings } from '../../adapters/user-bindings';
import type { OfflineQueue } from '../../adapters/offline-queue';
import type { Presence } from '../../adapters/presence';
import { presenceOf, tellPartners, tellPartnersOffline } from '../../domain/partner-presence';
import { userRoom } from './rooms';
import { reportSocketError } from './socket-errors';
import { startTokenExpiry, stopTokenExpiry, type TokenExpiryOptions } from './token-expiry';
import type { ChatSocket } from './chat-socket';
import type { ConversationsPort } from '../../domain/conversations-port';

export interface LifecycleDeps {
  bindings: UserBindings;
  presence: Presence;
  offlineQueue: OfflineQueue;
  conversations: ConversationsPort;
  publisher: ChatPublisher;
  logger: Logger;
  /** How long a socket must stay connected after `connected` before its queued messages count as received; default 2000 ms. */
  offlineConfirmMs?: number;
  /** When the token's end is announced and enforced; default: at its exp, without notice. */
  tokenExpiry?: Readonly<TokenExpiryOptions>;
}

const AT_EXP: Readonly<TokenExpiryOptions> = Object.freeze({});

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
  const { userId } = socket.data.user;
  // Helpers live outside, and the child logger is made only to log (rarely): a socket may stay
  // for hours, and closures it keeps are memory it keeps.
  const log = () => socketLogger(deps.logger, userId, socket.id);
  const confirmMs = deps.offlineConfirmMs ?? 2000;
  let queuedTaken = false;
  let confirmTimer: NodeJS.Timeout | undefined;

  void socket.join(userRoom(userId));
  const expiry = startTokenExpiry(socket, deps.tokenExpiry ?? AT_EXP);

  const ready = (async () => {
    // Presence before the binding: partners tell only users whom presence shows online (see
    // `tellPartners`), and so they skip nobody whom the binding could already have reached. The
    // handshake's admission registered the socket already, unless Redis was away then.
    const firstSocket =
      socket.data.firstSocket ?? (await presence.add(userId, socket.id)).firstSocket;
    await bindings.addSocket(userId);
    const queuedMessages = await offlineQueue.take(userId, socket.id);
    queuedTaken = true;
    // Read after the take: every queued message was counted before it was queued.
    const { unreadCount, partners } = await deps.conversations.onConnect(userId);
    // Read after this socket's presence and binding: a partner who comes online later finds
    // this user online and tells it `user-online` (a change the client applies after this).
    const partnerPresence = await presenceOf(presence, partners);
    if (socket.disconnected) return;
    socket.emit('connected', {
      userId,
      socketId: socket.id,
      timestamp: new Date().toISOString(),
      queuedMessages,
      unreadCount,
      partnerPresence,
    });
    confirmTimer = setTimeout(() => {
      confirmTimer = undefined;
      queuedTaken = false;
      offlineQueue
        .confirm(userId, socket.id)
        .catch((error: unknown) => log().warn({ err: error }, 'confirm failed'));
    }, confirmMs);
    if (firstSocket) await tellPartners(deps.publisher, userId, partnerPresence, 'user-online');
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

  return new Promise<void>((resolve) => {
    socket.once('disconnect', (reason) => {
      stopTokenExpiry(expiry);
      clearTimeout(confirmTimer);
      void (async () => {
        await ready;
        const step = <T>(name: string, work: () => Promise<T>) => cleanUpStep(log, name, work);
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
        if (removed?.lastSocket) {
          await step('user-offline', () => tellPartnersOffline(deps, userId));
        }
        if (deps.logger.isLevelEnabled('debug')) log().debug({ reason }, 'disconnected');
      })().finally(resolve);
    });
  });
}

function socketLogger(logger: Logger, userId: string, socketId: string): Logger {
  return logger.child({ module: 'edge:connection', userId, socketId });
}

/** Runs one clean-up step; a failure is logged and does not stop the others. */
async function cleanUpStep<T>(
  log: () => Logger,
  name: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    log().error({ err: error, step: name }, 'disconnect clean-up step failed');
    return undefined;
  }
}
