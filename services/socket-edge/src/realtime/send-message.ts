import { randomUUID } from 'node:crypto';
import type { Broker } from '@chat/broker';
import {
  checkSendRules,
  conversationPartition,
  sendMessagePayloadSchema,
  sendRoutingKey,
  type SendMessageAck,
  type SendMessageCommandV1,
  type TopologyNames,
} from '@chat/contracts';
import { AppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { RateLimit } from '@chat/redis';
import type { PendingSends } from '../delivery/pending-acks';
import type { EdgeMetrics, SendOutcome } from '../metrics';
import { reportSocketError } from './socket-errors';
import type { ChatSocket } from './types';

export interface SendMessageDeps {
  broker: Broker;
  names: TopologyNames;
  partitions: number;
  pendingSends: PendingSends;
  rateLimit: RateLimit;
  messageMaxLength: number;
  metrics: EdgeMetrics;
  logger: Logger;
}

/**
 * `send-message`: validates, then publishes a command with publisher confirm. The outcome —
 * the stored message or a coded refusal — arrives later as a delivery and settles the ack.
 * A socket's sends are handled one after another, so they reach the broker in the order the
 * client emitted them.
 */
export function registerSendMessage(socket: ChatSocket, deps: SendMessageDeps): void {
  const log = deps.logger.child({ module: 'edge:send' });
  let previous: Promise<void> = Promise.resolve();
  socket.on('send-message', (payload: unknown, maybeAck?: unknown) => {
    const ack =
      typeof maybeAck === 'function' ? (maybeAck as (result: SendMessageAck) => void) : undefined;
    // Timed from the event's arrival: waiting behind this socket's earlier sends counts too.
    const done = deps.metrics.startSendTimer();
    // Only the part up to issuing the publish is chained; confirms overlap.
    previous = previous
      .then(() => send(payload, ack, done))
      .catch((error: unknown) => {
        log.error({ err: error }, 'send-message handler failed');
      });
  });

  async function send(
    payload: unknown,
    ack: ((result: SendMessageAck) => void) | undefined,
    done: (outcome: SendOutcome) => void,
  ): Promise<void> {
    const { userId } = socket.data.user;
    const claimedId = readClientMessageId(payload);
    try {
      await deps.rateLimit.take(userId);
      const parsed = sendMessagePayloadSchema.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw new AppError(
          'VALIDATION_FAILED',
          `Invalid send-message payload: ${where}${issue?.message ?? ''}`,
        );
      }
      const { conversationId, receiverId, message } = parsed.data;
      const body = checkSendRules(
        { conversationId, senderId: userId, receiverId, message },
        deps.messageMaxLength,
      );
      const clientMessageId = parsed.data.clientMessageId ?? randomUUID();
      const correlationId = randomUUID();
      const command: SendMessageCommandV1 = {
        type: 'chat.send-message.v1',
        conversationId,
        senderId: userId,
        receiverId,
        message: body,
        clientMessageId,
        acceptedAt: new Date().toISOString(),
        correlationId,
      };

      deps.pendingSends.wait(userId, clientMessageId, {
        onStored: (stored) => {
          done('stored');
          ack?.({ ok: true, message: stored });
        },
        onFailed: (failure) => {
          done('failed');
          reportSocketError(socket, log, failure, { event: 'send-message', clientMessageId });
          ack?.({ ok: false, error: failure });
        },
      });
      const partition = conversationPartition(conversationId, deps.partitions);
      deps.broker
        .publish(deps.names.commandsExchange, sendRoutingKey(partition), command, {
          mandatory: true,
          type: command.type,
          correlationId,
        })
        .then(
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

function readClientMessageId(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const value = (payload as Record<string, unknown>).clientMessageId;
  return typeof value === 'string' && value.length <= 100 ? value : undefined;
}
