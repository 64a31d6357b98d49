import type { ChatClientError } from './errors';

/** How a join ended: joined, refused (with the server's error), or unanswered (disconnected). */
export type JoinOutcome =
  { kind: 'joined' } | { kind: 'refused'; error: ChatClientError } | { kind: 'unanswered' };

export interface RoomJoins {
  /** Emits the join and resolves with its answer. */
  join(conversationId: string): Promise<JoinOutcome>;
  /** `joined-conversation` from the server. */
  joined(conversationId: string): void;
  /** An `error` with `event: 'join-conversation'` (it names no conversation). */
  refused(error: ChatClientError): void;
  /** The connection dropped: joins waiting now get no answer. */
  interrupted(): void;
}

/**
 * `join-conversation` has no acknowledgement: its answer is `joined-conversation` or an
 * `error` naming the event but not the conversation. The server answers a socket's room
 * events in the order they came, so answers are matched to joins in order.
 */
export function createRoomJoins(emitJoin: (conversationId: string) => void): RoomJoins {
  let waiting: { conversationId: string; settle(outcome: JoinOutcome): void }[] = [];

  const settleFirst = (match: (conversationId: string) => boolean, outcome: JoinOutcome) => {
    const index = waiting.findIndex((entry) => match(entry.conversationId));
    if (index < 0) return;
    const [entry] = waiting.splice(index, 1);
    entry!.settle(outcome);
  };

  return {
    join(conversationId) {
      return new Promise((settle) => {
        waiting.push({ conversationId, settle });
        emitJoin(conversationId);
      });
    },
    joined(conversationId) {
      settleFirst((id) => id === conversationId, { kind: 'joined' });
    },
    refused(error) {
      settleFirst(() => true, { kind: 'refused', error });
    },
    interrupted() {
      const unanswered = waiting;
      waiting = [];
      for (const entry of unanswered) entry.settle({ kind: 'unanswered' });
    },
  };
}
