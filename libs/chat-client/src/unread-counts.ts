import type { ChatMessage } from './types';

/** The user's unread messages: over all conversations, and per conversation where known. */
export interface UnreadCounts {
  total: number;
  /** Per conversation id: the server's count once the conversations list was loaded, plus what came since. */
  byConversation: Record<string, number>;
}

export interface UnreadTracker {
  /** The server's total (`connected.unreadCount`), counted just before `asOf` (`connected.timestamp`). */
  setTotal(total: number, asOf: string): void;
  /** The server's counts from the conversations list; each covers its conversation up to `lastMessageTime`. */
  setConversations(
    counts: readonly { id: string; unreadCount: number; lastMessageTime: string | null }[],
  ): void;
  /** A message to this user was handed out (live, queued or fetched). */
  arrived(message: ChatMessage): void;
  /** The user marked the conversation read. */
  markedRead(conversationId: string): void;
  snapshot(): UnreadCounts;
}

/**
 * Unread counts as the server last said, moved by the messages handed out since and by
 * marking read, so a badge follows the conversation without a request per message. A message
 * counts once, and only when the server's count could not have included it: stored after the
 * count was taken (ISO timestamps compare as strings), and not read already. So a message
 * that arrives both queued and live, or live and again through a resync, is never counted
 * twice, and one already in `connected.unreadCount` is not counted again.
 */
export function createUnreadTracker(onChange: (counts: UnreadCounts) => void): UnreadTracker {
  let total = 0;
  let totalAsOf: string | undefined;
  const byConversation = new Map<string, number>();
  /** Per conversation: the newest message the last server count covered ('' for none). */
  const conversationAsOf = new Map<string, string>();
  const snapshot = (): UnreadCounts => ({
    total,
    byConversation: Object.fromEntries(byConversation),
  });
  const changed = () => onChange(snapshot());

  return {
    setTotal(value, asOf) {
      total = value;
      totalAsOf = asOf;
      changed();
    },
    setConversations(counts) {
      for (const { id, unreadCount, lastMessageTime } of counts) {
        byConversation.set(id, unreadCount);
        conversationAsOf.set(id, lastMessageTime ?? '');
      }
      changed();
    },
    arrived(message) {
      if (message.read) return;
      let moved = false;
      if (totalAsOf !== undefined && message.timestamp > totalAsOf) {
        total++;
        moved = true;
      }
      const asOf = conversationAsOf.get(message.conversationId) ?? totalAsOf;
      if (asOf !== undefined && message.timestamp > asOf) {
        byConversation.set(
          message.conversationId,
          (byConversation.get(message.conversationId) ?? 0) + 1,
        );
        moved = true;
      }
      if (moved) changed();
    },
    markedRead(conversationId) {
      total = Math.max(0, total - (byConversation.get(conversationId) ?? 0));
      byConversation.set(conversationId, 0);
      changed();
    },
    snapshot,
  };
}
