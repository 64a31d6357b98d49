import type { SendMessageCommandV1 } from '@chat/contracts';
import { AppError } from '@chat/errors';

/** How long a refusal is remembered: far longer than any edge waits for an outcome. */
const REMEMBER_MS = 10 * 60_000;

export interface SendDeadlines {
  /**
   * Whether the command may no longer be stored: its edge stopped waiting (`expiresAt` passed),
   * or an earlier command of the same sender in the same conversation was refused after this
   * one was accepted.
   */
  isLate(command: SendMessageCommandV1): boolean;
  /** The TIMEOUT refusal of a late command, remembered so its in-flight followers share it. */
  refuse(command: SendMessageCommandV1): AppError;
}

/**
 * Refuses late commands in their senders' order. Refusing only the commands past their own
 * deadline would let a later command (accepted a moment later, its deadline not yet passed) be
 * stored ahead of the refused one, which the client then sends again: stored out of order. So
 * a refusal also refuses every command that sender had in flight in that conversation — all
 * accepted before it; what the client sends after learning of the refusal goes through.
 */
export function createSendDeadlines(now: () => number): SendDeadlines {
  /** `<conversation>|<sender>` → when its last command was refused; oldest first. */
  const refusedAt = new Map<string, number>();

  function remember(key: string, at: number): void {
    refusedAt.delete(key);
    refusedAt.set(key, at);
    for (const [oldKey, when] of refusedAt) {
      if (when > at - REMEMBER_MS) break;
      refusedAt.delete(oldKey);
    }
  }

  const keyOf = (command: SendMessageCommandV1) => `${command.conversationId}|${command.senderId}`;

  return {
    isLate(command) {
      const lastRefusal = refusedAt.get(keyOf(command));
      return (
        (command.expiresAt !== undefined && Date.parse(command.expiresAt) <= now()) ||
        (lastRefusal !== undefined && Date.parse(command.acceptedAt) <= lastRefusal)
      );
    },
    refuse(command) {
      const key = keyOf(command);
      remember(key, Math.max(now(), refusedAt.get(key) ?? 0));
      return new AppError(
        'TIMEOUT',
        'The message was not stored in time; send it again with the same clientMessageId',
      );
    },
  };
}
