import type { SendMessageCommandV1 } from '@chat/contracts';
import { AppError } from '@chat/errors';

/** How long a refusal is remembered: far longer than any edge waits for an outcome. */
const REMEMBER_MS = 10 * 60_000;

export interface SendDeadlines {
  /**
   * TIMEOUT when the command may no longer be stored: its edge stopped waiting (`expiresAt`
   * passed), or an earlier command of the same sender in the same conversation was refused
   * after this one was accepted. Undefined when it may still be stored.
   */
  expire(command: SendMessageCommandV1): AppError | undefined;
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

  return {
    expire(command) {
      const key = `${command.conversationId}|${command.senderId}`;
      const at = now();
      const lastRefusal = refusedAt.get(key);
      const pastDeadline = command.expiresAt !== undefined && Date.parse(command.expiresAt) <= at;
      const behindRefusal =
        lastRefusal !== undefined && Date.parse(command.acceptedAt) <= lastRefusal;
      if (!pastDeadline && !behindRefusal) return undefined;
      remember(key, Math.max(at, lastRefusal ?? 0));
      return new AppError(
        'TIMEOUT',
        'The message was not stored in time; send it again with the same clientMessageId',
      );
    },
  };
}
