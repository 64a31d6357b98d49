/**
 * One socket's typing state per conversation, to drop repeats: a `typing: true` within
 * `windowMs` of the last one that passed in the same conversation tells the partner nothing
 * new (their client shows "typing…" for a few seconds after each). A change of state always
 * passes, and so does a repeated `false` (it may follow a lost one; the rate limit bounds it).
 */
export interface TypingThrottle {
  /** Whether this event goes on; when it does, it becomes the conversation's last state. */
  admit(conversationId: string, isTyping: boolean): boolean;
  /** Undoes `admit`'s record when the event was refused after all, so it cannot hold back the next. */
  forget(conversationId: string): void;
}

export interface TypingThrottleOptions {
  /** Default 2000 ms, the protocol's. */
  windowMs?: number;
  /** Conversations remembered at most (the least recently typed in are forgotten); default 64. */
  maxConversations?: number;
  now?: () => number;
}

export function createTypingThrottle(options: TypingThrottleOptions = {}): TypingThrottle {
  const windowMs = options.windowMs ?? 2000;
  const maxConversations = Math.max(1, options.maxConversations ?? 64);
  const now = options.now ?? Date.now;
  // Insertion order is recency: an entry is moved to the end whenever it is set.
  const last = new Map<string, { isTyping: boolean; at: number }>();

  return {
    admit(conversationId, isTyping) {
      const at = now();
      const previous = last.get(conversationId);
      if (isTyping && previous?.isTyping && at - previous.at < windowMs) return false;
      last.delete(conversationId);
      last.set(conversationId, { isTyping, at });
      if (last.size > maxConversations) last.delete(last.keys().next().value!);
      return true;
    },
    forget(conversationId) {
      last.delete(conversationId);
    },
  };
}
