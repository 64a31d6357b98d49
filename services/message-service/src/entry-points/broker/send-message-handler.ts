import { PoisonMessageError, type MessageHandler } from '@chat/broker';
import { describeIssue, sendMessageBatchV1Schema } from '@chat/contracts';
import { createMetricsRegistry } from '@chat/observability';
import {
  createMessageMetrics,
  type CommandOutcome,
  type MessageMetrics,
} from '../../adapters/message-metrics';
import { createMicroBatcher } from '../../domain/micro-batcher';
import {
  createSendBatchRunner,
  type QueuedCommand,
  type SendBatchDeps,
} from '../../domain/send-batch-runner';

export type { MessageStorePort } from '../../domain/send-batch-runner';

export interface SendMessageHandlerDeps extends Omit<SendBatchDeps, 'metrics'> {
  /** Most commands checked and stored together; default 200. */
  maxBatch?: number;
  /** Default: metrics on a registry of their own. */
  metrics?: MessageMetrics;
}

/**
 * Handles `chat.send-message.v1` commands (alone or in an edge's batch message) in batches:
 * every command that arrives while a batch is being stored joins the next one, which is checked
 * against the bookings and stored in one statement (send-batch-runner.ts). Batches run one at a time,
 * in arrival order, so each conversation's messages are stored in the order their partition
 * queue holds them.
 *
 * A command's promise resolves — and the consumer acks it — only after its message is committed
 * and its deliveries and event are confirmed by the broker; a crash before that redelivers the
 * command, which finds the stored message by (sender, clientMessageId) and publishes again.
 *
 * While the database is unavailable the batch waits and tries again (backoff up to a second),
 * keeping its commands — and those queued behind it — in order instead of handing them back to
 * the broker or parking them. A command whose edge stopped waiting (`expiresAt`) is refused
 * with TIMEOUT rather than stored late, and so is every command of the same sender and
 * conversation accepted before that refusal: a sender is never told "timed out" about a message
 * that is then stored behind later ones.
 */
export function createSendMessageHandler(deps: SendMessageHandlerDeps): MessageHandler {
  const metrics =
    deps.metrics ??
    createMessageMetrics(createMetricsRegistry('message-service', { defaultMetrics: false }));
  const runBatch = createSendBatchRunner({ ...deps, metrics });
  const batcher = createMicroBatcher<QueuedCommand, CommandOutcome>(runBatch, {
    maxBatch: deps.maxBatch ?? 200,
  });

  /** One command on its way through the batcher, timed from its arrival. */
  async function handleCommand(command: QueuedCommand): Promise<void> {
    const done = metrics.startCommandTimer();
    try {
      done(await batcher.submit(command));
    } catch (error) {
      done('failed');
      throw error;
    }
  }

  return async (received) => {
    const body = received.json();
    const { redelivered } = received;
    if (!isBatchEnvelope(body)) return handleCommand({ body, redelivered });
    const batch = sendMessageBatchV1Schema.safeParse(body);
    if (!batch.success)
      throw new PoisonMessageError(`invalid ${BATCH_TYPE}: ${describeIssue(batch.error)}`);
    // The message is acked when every command in it is done; any failure gives it back whole
    // (the commands already stored are found stored on the next attempt), and commands that
    // can never be handled park it, so it can be inspected and replayed.
    const outcomes = await Promise.allSettled(
      batch.data.commands.map((command) => handleCommand({ body: command, redelivered })),
    );
    const failures = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [{ index, error: outcome.reason as unknown }] : [],
    );
    const retryable = failures.find(({ error }) => !(error instanceof PoisonMessageError));
    if (retryable) throw retryable.error;
    if (failures.length > 0) {
      throw new PoisonMessageError(
        failures
          .map(({ index, error }) => `command ${index}: ${(error as Error).message}`)
          .join('; '),
      );
    }
  };
}

const BATCH_TYPE = 'chat.send-message-batch.v1';

function isBatchEnvelope(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === BATCH_TYPE
  );
}
