import type { ChatMessage, SendMessageAck } from '@chat/contracts';
import type { ErrorBody } from '@chat/errors';

interface Waiter {
  onStored(message: ChatMessage): void;
  onFailed(error: ErrorBody): void;
  /** Still waiting after the delay notice time; called at most once. */
  onDelayed?(): void;
}

/**
 * send-message calls waiting on this node for their outcome, keyed by sender and
 * clientMessageId: the `message-sent` or `send-rejected` delivery settles them, or a timeout.
 */
export interface PendingSends {
  /**
   * Waits for the outcome of the user's clientMessageId. True when a send with that id was
   * already waiting: the two share its outcome, and no second command is needed.
   */
  wait(userId: string, clientMessageId: string, waiter: Waiter): boolean;
  /** Settles the waiters of the message's clientMessageId; true when there were any. */
  stored(userId: string, message: ChatMessage): boolean;
  failed(userId: string, clientMessageId: string, error: ErrorBody): void;
  /** Fails every waiter (shutdown). */
  failAll(error: ErrorBody): void;
  readonly size: number;
}

/**
 * `timeoutMs`: when a send gives up with TIMEOUT. `delayNoticeMs`: when its waiters hear it is
 * delayed (`onDelayed`), so that a client shows "sending…" instead of silence during an outage.
 */
export function createPendingSends(timeoutMs: number, delayNoticeMs = timeoutMs): PendingSends {
  const waiting = new Map<
    string,
    { waiters: Waiter[]; timer: NodeJS.Timeout; notice?: NodeJS.Timeout }
  >();
  const keyOf = (userId: string, clientMessageId: string) => `${userId}\u0000${clientMessageId}`;

  const settle = (key: string, outcome: (waiter: Waiter) => void): boolean => {
    const entry = waiting.get(key);
    if (!entry) return false;
    waiting.delete(key);
    clearTimeout(entry.timer);
    clearTimeout(entry.notice);
    for (const waiter of entry.waiters) outcome(waiter);
    return true;
  };

  return {
    wait(userId, clientMessageId, waiter) {
      const key = keyOf(userId, clientMessageId);
      const entry = waiting.get(key);
      if (entry) {
        entry.waiters.push(waiter);
        return true;
      }
      const timer = setTimeout(
        () =>
          settle(key, (w) =>
            w.onFailed({
              code: 'TIMEOUT',
              message:
                'The message was not confirmed in time; send it again with the same clientMessageId',
            }),
          ),
        timeoutMs,
      );
      timer.unref();
      const notice =
        delayNoticeMs < timeoutMs
          ? setTimeout(() => {
              for (const w of waiting.get(key)?.waiters ?? []) w.onDelayed?.();
            }, delayNoticeMs).unref()
          : undefined;
      waiting.set(key, { waiters: [waiter], timer, notice });
      return false;
    },
    stored(userId, message) {
      if (!message.clientMessageId) return false;
      return settle(keyOf(userId, message.clientMessageId), (w) => w.onStored(message));
    },
    failed(userId, clientMessageId, error) {
      settle(keyOf(userId, clientMessageId), (w) => w.onFailed(error));
    },
    failAll(error) {
      for (const key of [...waiting.keys()]) settle(key, (w) => w.onFailed(error));
    },
    get size() {
      return waiting.size;
    },
  };
}

/** Turns an outcome into the acknowledgement a client passed to send-message. */
export function ackOf(result: { message: ChatMessage } | { error: ErrorBody }): SendMessageAck {
  return 'message' in result
    ? { ok: true, message: result.message }
    : { ok: false, error: result.error };
}
