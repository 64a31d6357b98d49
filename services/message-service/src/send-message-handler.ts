import { PoisonMessageError, type ChatPublisher, type MessageHandler } from '@chat/broker';
import {
  checkSendRules,
  delivery,
  sendMessageCommandV1Schema,
  toChatMessage,
  type MessageRecord,
  type SendMessageCommandV1,
} from '@chat/contracts';
import { isRetryableDatabaseError } from '@chat/db';
import { isAppError } from '@chat/errors';
import { createMetricsRegistry, type Logger } from '@chat/observability';
import type { EntitlementChecker } from './entitlements';
import { createKeyedSerializer } from './keyed-serializer';
import { retryTransient } from './retry';
import { createMessageMetrics, type CommandOutcome, type MessageMetrics } from './metrics';

export interface MessageStorePort {
  storeMessage(input: {
    conversationId: string;
    senderId: string;
    receiverId: string;
    body: string;
    clientMessageId: string;
  }): Promise<{ message: MessageRecord; created: boolean }>;
}

export interface SendMessageHandlerDeps {
  messages: MessageStorePort;
  entitlements: EntitlementChecker;
  publisher: ChatPublisher;
  messageMaxLength: number;
  /** Which store failures are retried in place; default: database unavailable, deadlock, serialization. */
  isRetryable?: (error: unknown) => boolean;
  /** Waits between those retries; default 100, 250, 500, 1000, 2000 ms. */
  retryDelaysMs?: readonly number[];
  /** Default: metrics on a registry of their own. */
  metrics?: MessageMetrics;
  logger: Logger;
}

/**
 * Handles `chat.send-message.v1` commands. Resolving acks the command, so it resolves only
 * after the message is committed and its deliveries and event are confirmed by the broker;
 * a crash anywhere before that redelivers the command, which finds the stored message by
 * (sender, clientMessageId) and publishes again.
 */
export function createSendMessageHandler(deps: SendMessageHandlerDeps): MessageHandler {
  const log = deps.logger.child({ module: 'message:send' });
  const serializer = createKeyedSerializer();
  const metrics =
    deps.metrics ??
    createMessageMetrics(createMetricsRegistry('message-service', { defaultMetrics: false }));

  /**
   * Stores the message and starts its publishes. It resolves once they are *issued*, in seq
   * order on one channel, not confirmed: the next message of the conversation can be stored
   * while the broker confirms this one.
   */
  async function handle(
    command: SendMessageCommandV1,
    redelivered: boolean,
  ): Promise<{ confirmed: Promise<unknown>; outcome: CommandOutcome }> {
    const { senderId, receiverId, conversationId, clientMessageId, correlationId } = command;
    let body: string;
    try {
      body = checkSendRules(command, deps.messageMaxLength);
      await deps.entitlements.assertCanChat(senderId, receiverId);
    } catch (error) {
      if (!isAppError(error)) throw error;
      log.info({ correlationId, conversationId, code: error.code }, 'send refused');
      metrics.sendRefused(error.code);
      const rejection = deps.publisher.deliver(
        delivery(
          senderId,
          'send-rejected',
          { clientMessageId, conversationId, code: error.code, message: error.message },
          correlationId,
        ),
      );
      return { confirmed: rejection, outcome: 'refused' };
    }

    const { message, created } = await retryTransient(
      () =>
        deps.messages.storeMessage({ conversationId, senderId, receiverId, body, clientMessageId }),
      deps.isRetryable ?? isRetryableDatabaseError,
      deps.retryDelaysMs,
    );
    metrics.messageStored(created);
    const chatMessage = toChatMessage(message);
    const publishes = [
      deps.publisher.deliver(delivery(senderId, 'message-sent', chatMessage, correlationId)),
    ];
    // A client re-sending a clientMessageId only needs its confirmation; a redelivered command
    // may have died before its deliveries were confirmed, so it publishes everything again.
    if (created || redelivered) {
      publishes.push(
        deps.publisher.deliver(delivery(receiverId, 'new-message', chatMessage, correlationId)),
        deps.publisher.emitEvent(
          {
            type: 'chat.message.created.v1',
            messageId: message.id,
            conversationId,
            seq: message.seq,
            senderId,
            receiverId,
            message: message.body,
            createdAt: chatMessage.timestamp,
          },
          correlationId,
        ),
      );
    }
    log.debug({ correlationId, conversationId, seq: message.seq, created }, 'message stored');
    return { confirmed: Promise.all(publishes), outcome: 'stored' };
  }

  return async (received) => {
    const done = metrics.startCommandTimer();
    try {
      const parsed = sendMessageCommandV1Schema.safeParse(received.json());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new PoisonMessageError(
          `invalid chat.send-message.v1: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'unknown'}`,
        );
      }
      const { confirmed, outcome } = await serializer.run(parsed.data.conversationId, () =>
        handle(parsed.data, received.redelivered),
      );
      await confirmed;
      done(outcome);
    } catch (error) {
      done('failed');
      throw error;
    }
  };
}
