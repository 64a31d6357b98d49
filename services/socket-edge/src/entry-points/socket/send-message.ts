import { randomUUID } from 'node:crypto';
import {
  checkSendRules,
  conversationPartition,
  describeIssue,
  type SendMessageAck,
  type SendMessageCommandV1,
  sendMessagePayloadSchema,
} from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import type { CommandPublisher } from '../../adapters/command-publisher';
import type { PartitionBacklog } from '../../domain/partition-backlog';
import type { PendingSends } from '../../domain/pending-sends';
import type { EdgeMetrics, SendOutcome } from '../../adapters/edge-metrics';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './chat-socket';

export interface SendMessageDeps {
  commands: CommandPublisher;
  partitions: number;
  pendingSends: PendingSends;
  backlog: PartitionBacklog;
  /** How long a send waits for its outcome (SEND_ACK_TIMEOUT_MS); commands expire a little earlier. */
  sendAckTimeoutMs: number;
  /** False while the edge shuts down: sends are refused with UNAVAILABLE at once. */
  accepting: () => boolean;
  rateLimit: RateLimit;
  /**
   * Sends of one socket waiting for their answer (SOCKET_MAX_PENDING_SENDS); one more is
   * refused at once with TOO_MANY_PENDING_SENDS. Below the partition backlog, so one socket
   * cannot fill a partition and get everyone else's sends OVERLOADED.
   */
  maxPendingSends: number;
  messageMaxLength: number;
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * `send-message`: validates, then publishes a command with publisher confirm. The outcome —
 * the stored message or a coded refusal — arrives later as a delivery and settles the ack.
 * A socket's sends are handled one after another, so they reach the broker in the order the
 * client emitted them. At most `maxPendingSends` of a socket's sends wait for their answer at
 * a time: that bounds the chain below and what one socket holds in the partition backlog.
 */
export function registerSendMessage(socket: ChatSocket, deps: SendMessageDeps): void {
  const log = deps.logger.child({ module: 'edge:send' });
  let previous: Promise<void> = Promise.resolve();
  // This socket's sends from their arrival until their answer.
  let pending = 0;
  socket.on('send-message', (payload: unknown, maybeAck?: unknown) => {
    const ack =
      typeof maybeAck === 'function' ? (maybeAck as (result: SendMessageAck) => void) : undefined;
    // Timed from the event's arrival: waiting behind this socket's earlier sends counts too.
    const timer = deps.metrics.startSendTimer();
    let done = timer;
    let admitted: Promise<unknown>;
    if (pending >= deps.maxPendingSends) {
      // Refused without a rate-limit point or a publish, but still through the chain: its
      // answer must not overtake those of the sends before it.
      admitted = Promise.resolve(
        new AppError(
          'TOO_MANY_PENDING_SENDS',
          `${pending} messages of this connection are waiting for their answer (at most ${deps.maxPendingSends}); send again once one is answered`,
        ),
      );
    } else {
      pending++;
      done = (outcome) => {
        pending--;
        timer(outcome);
      };
      // The rate-limit point is taken at once, so a socket's round trips to Redis overlap (they
      // answer in the order asked); only the part from its answer to issuing the publish is
      // chained, which keeps the publishes in emit order. Confirms overlap too.
      admitted = deps.rateLimit.take(socket.data.user.userId).then(
        () => undefined,
        (error: unknown) => error ?? new Error('rate limit failed'),
      );
    }
    previous = previous
      .then(() => send(payload, ack, done, admitted))
      .catch((error: unknown) => {
        log.error({ err: error }, 'send-message handler failed');
      });
  });

  async function send(
    payload: unknown,
    ack: ((result: SendMessageAck) => void) | undefined,
    done: (outcome: SendOutcome) => void,
    admitted: Promise<unknown>,
  ): Promise<void> {
    const { userId } = socket.data.user;
    const claimedId = readClientMessageId(payload);
    try {
      if (!deps.accepting()) {
        throw new AppError('UNAVAILABLE', 'The server is shutting down, send again');
      }
      const refusal = await admitted;
      if (refusal) throw refusal;
      const parsed = sendMessagePayloadSchema.safeParse(payload);
      if (!parsed.success) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Invalid send-message payload: ${describeIssue(parsed.error, { separator: ': ' })}`,
        );
      }
      const { conversationId, receiverId, message } = parsed.data;
      const body = checkSendRules(
        { conversationId, senderId: userId, receiverId, message },
        deps.messageMaxLength,
      );
      const partition = conversationPartition(conversationId, deps.partitions);
      if (!deps.backlog.tryAdmit(partition)) throw new AppError('OVERLOADED');
      const clientMessageId = parsed.data.clientMessageId ?? randomUUID();
      const correlationId = randomUUID();
      const acceptedAt = Date.now();
      const command: SendMessageCommandV1 = {
        type: 'chat.send-message.v1',
        conversationId,
        senderId: userId,
        receiverId,
        message: body,
        clientMessageId,
        acceptedAt: new Date(acceptedAt).toISOString(),
        // Message-service refuses the command after this instead of storing it, so its refusal
        // (or this edge's own TIMEOUT, if none comes) is final: never "timed out", then stored.
        expiresAt: new Date(acceptedAt + commandLifetimeMs(deps.sendAckTimeoutMs)).toISOString(),
        correlationId,
      };

      const joined = deps.pendingSends.wait(userId, clientMessageId, {
        onStored: (stored) => {
          deps.backlog.release(partition);
          done('stored');
          ack?.({ ok: true, message: stored });
        },
        onDelayed: () =>
          socket.emit('send-delayed', {
            clientMessageId,
            conversationId,
            since: command.acceptedAt,
          }),
        onFailed: (failure) => {
          deps.backlog.release(partition);
          done('failed');
          reportSocketError(socket, log, failure, { event: 'send-message', clientMessageId });
          ack?.({ ok: false, error: failure });
        },
      });
      // A re-send of a clientMessageId still in flight joins it: one command, one outcome.
      if (joined) return;
      deps.commands.send(partition, command).then(
        () => {
          deps.metrics.sendPublished();
          log.debug({ correlationId, conversationId, partition }, 'send command published');
        },
        (error: unknown) => {
          log.error({ err: error, correlationId }, 'could not publish send command');
          const unavailable = new AppError(
            'UNAVAILABLE',
            'The message could not be sent, try again',
          );
          deps.metrics.sendRejected(unavailable.code);
          deps.pendingSends.failed(userId, clientMessageId, unavailable.toJSON());
        },
      );
    } catch (error) {
      const coded = reportSocketError(socket, log, error, {
        event: 'send-message',
        ...(claimedId !== undefined && { clientMessageId: claimedId }),
      });
      deps.metrics.sendRejected(coded.code);
      done('failed');
      ack?.({ ok: false, error: coded });
    }
  }
}

/**
 * What is left of SEND_ACK_TIMEOUT_MS for message-service: the edge keeps a margin (a quarter,
 * at most 2 s) for the refusal or the stored message to travel back before its own timer fires.
 */
export function commandLifetimeMs(sendAckTimeoutMs: number): number {
  return sendAckTimeoutMs - Math.min(2000, Math.floor(sendAckTimeoutMs / 4));
}

function readClientMessageId(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const value = (payload as Record<string, unknown>).clientMessageId;
  return typeof value === 'string' && value.length <= 100 ? value : undefined;
}
