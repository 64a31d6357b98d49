import type { ChatPublisher } from '@chat/broker';
import {
  conversationPartner,
  delivery,
  describeIssue,
  type SignalAck,
  typingPayloadSchema,
} from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import type { EdgeMetrics } from '../../adapters/edge-metrics';
import type { Presence } from '../../adapters/presence';
import type { ChatEntitlement } from '../../domain/chat-entitlement';
import { reportSocketError } from './socket-errors';
import { createTypingThrottle } from '../../domain/typing-throttle';
import type { ChatSocket } from './chat-socket';

export interface TypingDeps {
  entitlement: ChatEntitlement;
  presence: Pick<Presence, 'isOnline'>;
  publisher: ChatPublisher;
  /** typing events per socket that pass the throttle (TYPING_RATE_LIMIT per TYPING_RATE_WINDOW_SEC), keyed by socket id. */
  rateLimit: RateLimit;
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * How long a typing notice may wait in an edge queue before the broker drops it: the partner's
 * client shows "typing…" for at most 6 s without a fresh one, so an older notice is worthless.
 */
export const TYPING_NOTICE_TTL_MS = 5000;

/**
 * `typing`: relayed to the other member's sockets, never stored. Refused unless the id names
 * the caller (NOT_A_MEMBER) and a booking lets the two chat now (BOOKING_REQUIRED, the send
 * path's rule); a repeat `true` within 2 s is dropped silently (typing-throttle.ts), what passes
 * is rate-limited per socket (RATE_LIMITED). A notice for a partner whom presence shows
 * offline is dropped here: published, it would find no edge queue and cross chat.offline (a
 * quorum queue, written to disk) only to be dropped there. It is published non-persistent,
 * with a TTL, so it never touches a disk on its way to a live edge either.
 *
 * Returns what registers it on a socket; the logger is made once, not per socket.
 */
export function createTypingRelay(deps: TypingDeps): (socket: ChatSocket) => void {
  const log = deps.logger.child({ module: 'edge:typing' });

  return (socket) => {
    const throttle = createTypingThrottle();
    // A socket's notices are relayed in the order they came: a `false` must not overtake the
    // `true` before it while that one's booking check is still running.
    let previous: Promise<void> = Promise.resolve();
    socket.on('typing', (payload: unknown, maybeAck?: unknown) => {
      const ack =
        typeof maybeAck === 'function' ? (maybeAck as (result: SignalAck) => void) : undefined;
      previous = previous
        .then(() => relay(socket, throttle, payload))
        .then(
          () => ack?.({ ok: true }),
          (error: unknown) => {
            deps.metrics.typing('refused');
            const coded = reportSocketError(socket, log, error, { event: 'typing' });
            ack?.({ ok: false, error: coded });
          },
        )
        .catch((error: unknown) => log.error({ err: error }, 'typing handler failed'));
    });
  };

  async function relay(
    socket: ChatSocket,
    throttle: ReturnType<typeof createTypingThrottle>,
    payload: unknown,
  ): Promise<void> {
    const parsed = typingPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Invalid typing payload: ${describeIssue(parsed.error, { separator: ': ' })}`,
      );
    }
    const { conversationId, isTyping } = parsed.data;
    const { userId } = socket.data.user;
    const partner = conversationPartner(conversationId, userId);
    if (partner === undefined) throw new AppError('NOT_A_MEMBER');
    if (!throttle.admit(conversationId, isTyping)) {
      deps.metrics.typing('throttled');
      return;
    }
    try {
      await deps.rateLimit.take(socket.id);
      if (!(await deps.entitlement.allows(userId, partner))) {
        throw new AppError(
          'BOOKING_REQUIRED',
          'You can only tell users you have a booking with that you are typing',
        );
      }
    } catch (error) {
      throttle.forget(conversationId);
      throw error;
    }
    if (!(await isOnline(partner))) {
      deps.metrics.typing('partner_offline');
      return;
    }
    // Best effort: the client is answered at once; a notice the broker refuses is only counted.
    deps.publisher
      .deliver(delivery(partner, 'typing', { conversationId, userId, isTyping }), {
        persistent: false,
        expirationMs: TYPING_NOTICE_TTL_MS,
      })
      .then(
        () => deps.metrics.typing('relayed'),
        (error: unknown) => {
          deps.metrics.typing('publish_failed');
          log.debug({ err: error, conversationId }, 'typing notice not published');
        },
      );
  }

  /** While Redis is away, presence cannot tell: publish, and let chat.offline drop it if need be. */
  async function isOnline(userId: string): Promise<boolean> {
    try {
      return await deps.presence.isOnline(userId);
    } catch (error) {
      log.debug({ err: error }, 'presence unknown, relaying the typing notice anyway');
      return true;
    }
  }
}
