import { PoisonMessageError, type ChatPublisher } from '@chat/broker';
import {
  checkSendRules,
  delivery,
  describeIssue,
  sendMessageCommandV1Schema,
  toChatMessage,
  type SendMessageCommandV1,
} from '@chat/contracts';
import {
  isRetryableDatabaseError,
  pairKey,
  type EntitlementPolicy,
  type GatedStoreResult,
  type MessageStore,
  type NewMessage,
  type StoreMessageResult,
} from '@chat/db';
import { AppError, isAppError } from '@chat/errors';
import type { Logger } from '@chat/observability';
import type { EntitlementChecker } from './entitlement-checker';
import type { CommandOutcome, MessageMetrics } from '../adapters/message-metrics';
import { createSendDeadlines } from './send-deadlines';
import { createSenderAnswers, type SenderAnswers } from './sender-answers';

export type MessageStorePort = Pick<
  MessageStore,
  'storeEntitledMessages' | 'findByClientMessageIds'
>;

export interface SendBatchDeps {
  messages: MessageStorePort;
  /** Which bookings let a pair chat; checked in the statement that stores the messages. */
  policy: EntitlementPolicy;
  /** Asked about pairs the booking projection has never seen (it may ask the booking service). */
  entitlements: Pick<EntitlementChecker, 'checkPairs'>;
  publisher: ChatPublisher;
  messageMaxLength: number;
  /** Whether chat.message.created.v1 carries the message text; default true. */
  eventIncludesText?: boolean;
  /** Which failures pause the batch and try again; default: database unavailable, deadlock, serialization, timeout. */
  isRetryable?: (error: unknown) => boolean;
  /** Waits between those attempts; the last one repeats for as long as the failure lasts. Default 100, 250, 500, 1000 ms. */
  retryDelaysMs?: readonly number[];
  metrics: MessageMetrics;
  logger: Logger;
  now?: () => number;
}

/** A command as it came from the queue, alone or out of a batch message. */
export interface QueuedCommand {
  body: unknown;
  redelivered: boolean;
}

/** A command that passed the checks every command gets, waiting for its booking check and store. */
interface Candidate {
  index: number;
  command: SendMessageCommandV1;
  body: string;
  redelivered: boolean;
}

/** One batch on its way: each command's outcome, and what its senders are owed. */
interface BatchRun {
  results: Promise<CommandOutcome>[];
  answers: SenderAnswers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one batch of send commands: checks each, refuses the late, stores the rest where a booking
 * entitles them in one statement, and starts the publishes of each outcome. Resolves once the
 * next batch may start, with a promise per command that settles when its publishes are
 * confirmed (the command may then be acked). While the database is unavailable it holds the
 * batch and tries again; see createSendMessageHandler.
 */
export function createSendBatchRunner(
  deps: SendBatchDeps,
): (batch: QueuedCommand[]) => Promise<Promise<CommandOutcome>[]> {
  const log = deps.logger.child({ module: 'message:send' });
  const { metrics } = deps;
  const isRetryable = deps.isRetryable ?? isRetryableDatabaseError;
  const retryDelaysMs = deps.retryDelaysMs ?? [100, 250, 500, 1000];
  const eventIncludesText = deps.eventIncludesText ?? true;
  const deadlines = createSendDeadlines(deps.now ?? Date.now);

  /** The refusal to the sender's edge; resolves once the broker confirmed it. */
  function refuse(
    answers: SenderAnswers,
    command: SendMessageCommandV1,
    error: AppError,
  ): Promise<CommandOutcome> {
    const { senderId, clientMessageId, conversationId, correlationId } = command;
    log.info({ correlationId, conversationId, code: error.code }, 'send refused');
    metrics.sendRefused(error.code);
    return answers
      .add(
        delivery(
          senderId,
          'send-rejected',
          { clientMessageId, conversationId, code: error.code, message: error.message },
          correlationId,
        ),
      )
      .then(() => 'refused');
  }

  /** The stored message to its sender and receiver, and its domain event. */
  function announce(
    answers: SenderAnswers,
    candidate: Candidate,
    { message, created }: StoreMessageResult,
    publishAll: boolean,
  ): Promise<CommandOutcome> {
    const { command } = candidate;
    const { senderId, receiverId, conversationId, correlationId } = command;
    if (
      !created &&
      (message.body !== candidate.body || message.conversationId !== conversationId)
    ) {
      return refuse(answers, command, new AppError('CLIENT_MESSAGE_ID_REUSED'));
    }
    metrics.messageStored(created);
    const chatMessage = toChatMessage(message);
    const publishes = [answers.add(delivery(senderId, 'message-sent', chatMessage, correlationId))];
    // A client re-sending a clientMessageId only needs its confirmation; a redelivered command,
    // or one whose first store attempt may have committed unseen, may have died before its
    // deliveries were confirmed, so it publishes everything again (receivers dedupe by id).
    if (created || publishAll) {
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
            ...(eventIncludesText && { message: message.body }),
            createdAt: chatMessage.timestamp,
          },
          correlationId,
        ),
      );
    }
    return Promise.all(publishes).then(() => 'stored');
  }

  /**
   * One attempt at the candidates still waiting: refuses the expired, stores the rest where a
   * booking entitles them (checked in the same statement), and asks the booking service about
   * pairs the projection has never seen. A retryable failure throws and the caller tries the
   * whole attempt again; what was committed meanwhile is then found stored.
   */
  async function attempt(
    waiting: Candidate[],
    run: BatchRun,
    storeRetried: boolean,
  ): Promise<void> {
    const live = await settleLate(waiting, run);
    const unknownPairs = await storeGated(live, run, storeRetried, []);
    if (unknownPairs.length === 0) return;
    const verdicts = await deps.entitlements.checkPairs(
      unknownPairs.map(({ command }) => [command.senderId, command.receiverId] as const),
    );
    const vouched: Candidate[] = [];
    for (const candidate of unknownPairs) {
      const { senderId, receiverId } = candidate.command;
      const refusal = verdicts.get(pairKey(senderId, receiverId));
      if (refusal) run.results[candidate.index] = refuse(run.answers, candidate.command, refusal);
      else vouched.push(candidate);
    }
    const pairs = vouched.map(({ command }) => [command.senderId, command.receiverId] as const);
    await storeGated(vouched, run, storeRetried, pairs);
  }

  /**
   * Late commands are refused with TIMEOUT — and with each, the commands its sender had in
   * flight behind it in that conversation — except those already stored: a command that
   * committed before an outage (or a crash) and comes back after its deadline is announced
   * again, everything, since its deliveries may never have been confirmed. Returns the
   * candidates that may still be stored, in batch order.
   */
  async function settleLate(waiting: Candidate[], run: BatchRun): Promise<Candidate[]> {
    const live: Candidate[] = [];
    const suspects: Candidate[] = [];
    const suspectKeys = new Set<string>();
    for (const candidate of waiting) {
      const key = senderInConversation(candidate.command);
      if (deadlines.isLate(candidate.command) || suspectKeys.has(key)) {
        suspectKeys.add(key);
        suspects.push(candidate);
      } else {
        live.push(candidate);
      }
    }
    if (suspects.length === 0) return live;
    const stored = await deps.messages.findByClientMessageIds(
      suspects.map(({ command }) => ({
        senderId: command.senderId,
        clientMessageId: command.clientMessageId,
      })),
    );
    const byKey = new Map(stored.map((message) => [clientKey(message), message]));
    for (const candidate of suspects) {
      const { command } = candidate;
      const message = byKey.get(clientKey(command));
      if (message) {
        run.results[candidate.index] = announce(
          run.answers,
          candidate,
          { message, created: false },
          true,
        );
      } else if (deadlines.isLate(command)) {
        run.results[candidate.index] = refuse(run.answers, command, deadlines.refuse(command));
      } else {
        // Behind a late command that turned out to be stored: nothing to refuse it for.
        live.push(candidate);
      }
    }
    return live;
  }

  /**
   * Stores the candidates whose pair a booking entitles (or `vouched` lists) in one statement,
   * refuses those the projection knows are not entitled, and returns those of pairs it has
   * never seen. When the statement fails for a reason that is not the database's availability,
   * each message goes on its own so that one bad message fails alone.
   */
  async function storeGated(
    candidates: Candidate[],
    run: BatchRun,
    storeRetried: boolean,
    vouched: (readonly [string, string])[],
  ): Promise<Candidate[]> {
    if (candidates.length === 0) return [];
    const gate = { policy: deps.policy, vouched };
    const inputOf = ({ command, body }: Candidate): NewMessage => ({
      conversationId: command.conversationId,
      senderId: command.senderId,
      receiverId: command.receiverId,
      body,
      clientMessageId: command.clientMessageId,
    });
    let outcomes: [Candidate, GatedStoreResult][] = [];
    try {
      const stored = await deps.messages.storeEntitledMessages(candidates.map(inputOf), gate);
      outcomes = candidates.map((candidate, index) => [candidate, stored[index]!]);
    } catch (error) {
      if (isRetryable(error) || candidates.length === 1) throw error;
      log.warn({ err: error, size: candidates.length }, 'batch store failed, storing one by one');
      for (const candidate of candidates) {
        try {
          const [result] = await deps.messages.storeEntitledMessages([inputOf(candidate)], gate);
          outcomes.push([candidate, result!]);
        } catch (failure) {
          if (isRetryable(failure)) throw failure;
          run.results[candidate.index] = Promise.reject(failure);
        }
      }
    }
    const unknownPairs: Candidate[] = [];
    for (const [candidate, outcome] of outcomes) {
      if (!('refused' in outcome)) {
        run.results[candidate.index] = announce(
          run.answers,
          candidate,
          outcome,
          candidate.redelivered || storeRetried,
        );
      } else if (outcome.refused.pairKnown || vouched.length > 0) {
        run.results[candidate.index] = refuse(
          run.answers,
          candidate.command,
          new AppError('BOOKING_REQUIRED'),
        );
      } else {
        unknownPairs.push(candidate);
      }
    }
    log.debug({ stored: outcomes.length - unknownPairs.length }, 'batch stored');
    return unknownPairs;
  }

  async function runBatch(batch: QueuedCommand[]): Promise<Promise<CommandOutcome>[]> {
    metrics.sendBatch(batch.length);
    const run: BatchRun = {
      results: new Array<Promise<CommandOutcome>>(batch.length),
      answers: createSenderAnswers(deps.publisher),
    };
    let waiting: Candidate[] = [];
    batch.forEach(({ body: received, redelivered }, index) => {
      const parsed = sendMessageCommandV1Schema.safeParse(received);
      if (!parsed.success) {
        run.results[index] = Promise.reject(
          new PoisonMessageError(`invalid chat.send-message.v1: ${describeIssue(parsed.error)}`),
        );
        return;
      }
      const command = parsed.data;
      try {
        const body = checkSendRules(command, deps.messageMaxLength);
        waiting.push({ index, command, body, redelivered });
      } catch (error) {
        if (!isAppError(error)) throw error;
        run.results[index] = refuse(run.answers, command, error);
      }
    });

    for (let failures = 0; waiting.length > 0; failures++) {
      try {
        await attempt(waiting, run, failures > 0);
        waiting = [];
      } catch (error) {
        // What this attempt settled goes out now, not after the database is back.
        run.answers.flush();
        if (!isRetryable(error)) {
          for (const { index } of waiting) run.results[index] = Promise.reject(error);
          break;
        }
        const delay = retryDelaysMs[Math.min(failures, retryDelaysMs.length - 1)] ?? 1000;
        log.warn(
          { err: error, waiting: waiting.length, attempt: failures + 1, delayMs: delay },
          'database unavailable, holding the batch and trying again',
        );
        metrics.storeRetried();
        await sleep(delay);
      }
    }
    run.answers.flush();
    // Settled later by the consumer; mark them handled now so none counts as unhandled meanwhile.
    for (const result of run.results) result.catch(() => undefined);
    return run.results;
  }

  return runBatch;
}

const clientKey = (message: { senderId: string; clientMessageId: string }) =>
  `${message.senderId}\u0000${message.clientMessageId}`;

const senderInConversation = (command: SendMessageCommandV1) =>
  `${command.conversationId}\u0000${command.senderId}`;
