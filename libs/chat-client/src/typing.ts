import type { TypingNotice } from './types';

export interface TypingTimings {
  /** While the user keeps typing, `typing: true` goes out at most this often; default 3000 ms. */
  refreshMs?: number;
  /** `typing: false` goes out by itself this long after the last keystroke; default 5000 ms. */
  idleMs?: number;
  /** A partner's typing shows at most this long without a new notice; default 6000 ms. */
  showMs?: number;
}

interface OwnTyping {
  lastSentAt: number;
  idleTimer: ReturnType<typeof setTimeout>;
}

export interface TypingSender {
  /** The user typed (true) or stopped, sent or cleared the draft (false). */
  set(conversationId: string, isTyping: boolean): void;
  /** Forgets every state without sending (the connection is gone; the partner's display times out). */
  reset(): void;
}

/**
 * The user's own typing notices: call `set(id, true)` on every keystroke. The first goes out
 * at once, repeats at most every `refreshMs` (the server drops more frequent ones anyway), and
 * a `false` follows `idleMs` after the last keystroke, or at once when told.
 */
export function createTypingSender(
  emit: (conversationId: string, isTyping: boolean) => void,
  timings: TypingTimings = {},
  now: () => number = Date.now,
): TypingSender {
  const refreshMs = timings.refreshMs ?? 3000;
  const idleMs = timings.idleMs ?? 5000;
  const typing = new Map<string, OwnTyping>();

  const stop = (conversationId: string) => {
    const state = typing.get(conversationId);
    if (!state) return;
    clearTimeout(state.idleTimer);
    typing.delete(conversationId);
    emit(conversationId, false);
  };

  return {
    set(conversationId, isTyping) {
      if (!isTyping) return stop(conversationId);
      const state = typing.get(conversationId);
      const idleTimer = setTimeout(() => stop(conversationId), idleMs);
      if (state) {
        clearTimeout(state.idleTimer);
        state.idleTimer = idleTimer;
        if (now() - state.lastSentAt < refreshMs) return;
        state.lastSentAt = now();
      } else {
        typing.set(conversationId, { lastSentAt: now(), idleTimer });
      }
      emit(conversationId, true);
    },
    reset() {
      for (const state of typing.values()) clearTimeout(state.idleTimer);
      typing.clear();
    },
  };
}

export interface PartnerTyping {
  /** A `typing` notice from the server. */
  receive(notice: TypingNotice): void;
  /** `userId` is no longer typing in the conversation (their message came, they went offline). */
  stop(conversationId: string, userId: string): void;
  /** Stops everyone (this client lost its connection and hears no more notices). */
  clear(): void;
  /** Who is typing in the conversation now. */
  typingIn(conversationId: string): string[];
}

/**
 * Partners' typing as shown: a `true` shows for at most `showMs` unless renewed, so a lost
 * `false` (a dropped connection, a closed tab) never leaves "typing…" on for good. `onChange`
 * is called on every change of what is shown.
 */
export function createPartnerTyping(
  onChange: (notice: TypingNotice) => void,
  timings: TypingTimings = {},
): PartnerTyping {
  const showMs = timings.showMs ?? 6000;
  // conversationId → userId → expiry timer
  const shown = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  const stop = (conversationId: string, userId: string) => {
    const users = shown.get(conversationId);
    const timer = users?.get(userId);
    if (!users || timer === undefined) return;
    clearTimeout(timer);
    users.delete(userId);
    if (users.size === 0) shown.delete(conversationId);
    onChange({ conversationId, userId, isTyping: false });
  };

  return {
    receive({ conversationId, userId, isTyping }) {
      if (!isTyping) return stop(conversationId, userId);
      let users = shown.get(conversationId);
      if (!users) {
        users = new Map();
        shown.set(conversationId, users);
      }
      const previous = users.get(userId);
      clearTimeout(previous);
      users.set(
        userId,
        setTimeout(() => stop(conversationId, userId), showMs),
      );
      if (previous === undefined) onChange({ conversationId, userId, isTyping: true });
    },
    stop,
    clear() {
      for (const [conversationId, users] of [...shown]) {
        for (const userId of [...users.keys()]) stop(conversationId, userId);
      }
    },
    typingIn: (conversationId) => [...(shown.get(conversationId)?.keys() ?? [])],
  };
}
