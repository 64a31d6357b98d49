import { ChatClientError } from './errors';
import { backoffDelay, isRetryableCode, type BackoffOptions } from './retry-policy';
import type { ChatMessage } from './types';

export interface SendRequest {
  clientMessageId: string;
  conversationId: string;
  receiverId: string;
  text: string;
}

/** How one try of a send ended. */
export type TransmitResult =
  | { kind: 'stored'; message: ChatMessage }
  | { kind: 'refused'; code: string; message: string }
  /** Disconnected or no answer in time: whether it was stored is unknown, so it goes again. */
  | { kind: 'no-answer' };

/** A send waiting for its answer, as `pending()` shows it. */
export interface PendingSend extends SendRequest {
  /** Tries so far (0 while it waits for its first). */
  attempts: number;
}

export interface OutboxDeps {
  /** Emits one try of the send and resolves with how it ended; never rejects. */
  transmit(request: SendRequest): Promise<TransmitResult>;
  /** Whether tries may go out now (connected). */
  canSend(): boolean;
  /** Sends in flight at once over all conversations (one per conversation); default 8. */
  maxInFlight?: number;
  backoff?: BackoffOptions;
  /** Called once per send that ended stored (by its ack or by message-sent). */
  onStored?(request: SendRequest, message: ChatMessage): void;
  /** Called once per send refused for good. */
  onFailed?(request: SendRequest, error: ChatClientError): void;
  /** Called when a retryable refusal puts a send back, before it waits `delayMs`. */
  onRetry?(request: SendRequest, code: string, delayMs: number): void;
}

export interface Outbox {
  /** Queues a send; resolves with the stored message or rejects with a final refusal. */
  add(request: SendRequest): Promise<ChatMessage>;
  /** The connection is (back) up: tries go out again. */
  resume(): void;
  /** The connection dropped: sends in flight will get no answer and go again on resume. */
  interrupted(): void;
  /** A stored message (message-sent) that may answer one of our sends; true when it did. */
  answer(message: ChatMessage): boolean;
  has(clientMessageId: string): boolean;
  pending(conversationId?: string): PendingSend[];
  /** Rejects every send still waiting with `error` and stops. */
  close(error: ChatClientError): void;
}

interface Entry {
  request: SendRequest;
  state: 'waiting' | 'in-flight' | 'backoff';
  attempts: number;
  refusals: number;
  /** Bumped by each try and by interruptions: answers to an older try are recognised. */
  try: number;
  timer?: ReturnType<typeof setTimeout>;
  resolve(message: ChatMessage): void;
  reject(error: ChatClientError): void;
}

/**
 * The sends not yet answered, in order. A conversation's sends go one at a time: the next is
 * emitted when the one before it is answered, so a refusal and its retry can never let a later
 * message be stored before an earlier one (the server stores a socket's sends in the order they
 * come). Different conversations proceed side by side, up to `maxInFlight`. A send is tried
 * again with the same clientMessageId after a retryable refusal (backing off), after a
 * disconnect and after silence, until it is stored or refused for good.
 */
export function createOutbox(deps: OutboxDeps): Outbox {
  const maxInFlight = deps.maxInFlight ?? 8;
  const queues = new Map<string, Entry[]>();
  const byId = new Map<string, Entry>();
  let closed = false;

  const inFlight = () => {
    let count = 0;
    for (const queue of queues.values()) if (queue[0]?.state === 'in-flight') count++;
    return count;
  };

  const remove = (entry: Entry) => {
    clearTimeout(entry.timer);
    byId.delete(entry.request.clientMessageId);
    const queue = queues.get(entry.request.conversationId);
    if (!queue) return;
    const index = queue.indexOf(entry);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) queues.delete(entry.request.conversationId);
  };

  const stored = (entry: Entry, message: ChatMessage) => {
    remove(entry);
    deps.onStored?.(entry.request, message);
    entry.resolve(message);
    pump();
  };

  const launch = (entry: Entry) => {
    entry.state = 'in-flight';
    entry.attempts++;
    const current = ++entry.try;
    void deps.transmit(entry.request).then((result) => {
      if (byId.get(entry.request.clientMessageId) !== entry) return;
      // Stored is stored, whichever try it answers; anything else only counts for the latest.
      if (result.kind === 'stored') return stored(entry, result.message);
      if (entry.try !== current) return;
      if (result.kind === 'no-answer') {
        entry.state = 'waiting';
      } else if (isRetryableCode(result.code)) {
        entry.state = 'backoff';
        entry.refusals++;
        const delay = backoffDelay(entry.refusals, deps.backoff);
        deps.onRetry?.(entry.request, result.code, delay);
        entry.timer = setTimeout(() => {
          entry.state = 'waiting';
          pump();
        }, delay);
      } else {
        remove(entry);
        const error = new ChatClientError(result.code, result.message);
        deps.onFailed?.(entry.request, error);
        entry.reject(error);
      }
      pump();
    });
  };

  function pump(): void {
    if (closed || !deps.canSend()) return;
    let slots = maxInFlight - inFlight();
    for (const queue of queues.values()) {
      if (slots <= 0) return;
      const head = queue[0];
      if (head?.state !== 'waiting') continue;
      launch(head);
      slots--;
    }
  }

  return {
    add(request) {
      if (closed) return Promise.reject(new ChatClientError('CLOSED', 'The chat client is closed'));
      if (byId.has(request.clientMessageId)) {
        return Promise.reject(
          new ChatClientError(
            'CLIENT_MESSAGE_ID_REUSED',
            'A send with this clientMessageId is still waiting for its answer',
          ),
        );
      }
      return new Promise<ChatMessage>((resolve, reject) => {
        const entry: Entry = {
          request,
          state: 'waiting',
          attempts: 0,
          refusals: 0,
          try: 0,
          resolve,
          reject,
        };
        byId.set(request.clientMessageId, entry);
        const queue = queues.get(request.conversationId);
        if (queue) queue.push(entry);
        else queues.set(request.conversationId, [entry]);
        pump();
      });
    },
    resume: pump,
    interrupted() {
      for (const queue of queues.values()) {
        const head = queue[0];
        if (head?.state !== 'in-flight') continue;
        head.state = 'waiting';
        head.try++;
      }
    },
    answer(message) {
      const entry = byId.get(message.clientMessageId);
      if (!entry || entry.request.conversationId !== message.conversationId) return false;
      stored(entry, message);
      return true;
    },
    has: (clientMessageId) => byId.has(clientMessageId),
    pending(conversationId) {
      const entries = conversationId
        ? (queues.get(conversationId) ?? [])
        : [...queues.values()].flat();
      return entries.map((entry) => ({ ...entry.request, attempts: entry.attempts }));
    },
    close(error) {
      closed = true;
      const entries = [...byId.values()];
      queues.clear();
      byId.clear();
      for (const entry of entries) {
        clearTimeout(entry.timer);
        entry.reject(error);
      }
    },
  };
}
