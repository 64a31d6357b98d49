import {
  conversationPartner,
  describeIssue,
  markDeliveredPayloadSchema,
  type SignalAck,
} from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import type { DeliveryReceipts } from '../../domain/delivery-receipts';
import type { EdgeMetrics } from '../../adapters/edge-metrics';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './chat-socket';

export interface MarkDeliveredDeps {
  receipts: Pick<DeliveryReceipts, 'mark'>;
  /** mark-delivered events per socket (MARK_DELIVERED_RATE_LIMIT per window), keyed by socket id. */
  rateLimit: RateLimit;
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * `mark-delivered` `{ conversationId, upToSeq }`: the caller's device has the conversation's
 * messages up to `upToSeq`. Validated, rate-limited per socket, then written by the receipts
 * writer (delivery-receipts.ts), which answers once the watermark is stored; the sender hears
 * `message-delivered` when it moved past a message they wrote. No booking is needed: like
 * reading history, acknowledging what arrived stays possible after the booking ended.
 *
 * Returns what registers it on a socket; the logger is made once, not per socket.
 */
export function createMarkDelivered(deps: MarkDeliveredDeps): (socket: ChatSocket) => void {
  const log = deps.logger.child({ module: 'edge:mark-delivered' });

  async function mark(socket: ChatSocket, payload: unknown): Promise<void> {
    const parsed = markDeliveredPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Invalid mark-delivered payload: ${describeIssue(parsed.error, { separator: ': ' })}`,
      );
    }
    const { conversationId, upToSeq } = parsed.data;
    const { userId } = socket.data.user;
    if (conversationPartner(conversationId, userId) === undefined) {
      throw new AppError('NOT_A_MEMBER');
    }
    await deps.rateLimit.take(socket.id);
    deps.metrics.receipt(await deps.receipts.mark(userId, conversationId, upToSeq));
  }

  return (socket) => {
    socket.on('mark-delivered', (payload: unknown, maybeAck?: unknown) => {
      const ack =
        typeof maybeAck === 'function' ? (maybeAck as (result: SignalAck) => void) : undefined;
      mark(socket, payload).then(
        () => ack?.({ ok: true }),
        (error: unknown) => {
          deps.metrics.receipt('refused');
          const coded = reportSocketError(socket, log, error, { event: 'mark-delivered' });
          ack?.({ ok: false, error: coded });
        },
      );
    });
  };
}
