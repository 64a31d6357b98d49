import { ConversationTimeline } from './conversation-timeline';
import { ChatClientError } from './errors';
import type { HistoryApi } from './history-api';
import { backoffDelay, isRetryableCode, type BackoffOptions } from './retry-policy';
import type { ChatMessage } from './types';
import type { HistoryEntry } from './wire-guards';

/** Which way messages came: a socket event, `connected.queuedMessages`, a send's answer, or history. */
export type MessageSource = 'live' | 'queued' | 'sent' | 'history';

export interface MessagePipelineOptions {
  history: HistoryApi;
  /** Messages of one conversation handed out now, in seq order, each once. */
  onMessages(messages: ChatMessage[], source: MessageSource): void;
  /** Every message history returned, with what it says of delivery (for own messages' status). */
  onHistory?(entries: HistoryEntry[]): void;
  /** A fetch that failed for good (NOT_A_MEMBER, …); retryable failures are retried. */
  onError(error: ChatClientError, conversationId: string): void;
  /** How long a gap may wait for its messages to come live before it is fetched; default 500 ms. */
  gapFillDelayMs?: number;
  /** Messages per history request when filling gaps and resyncing; default 200 (the API's most). */
  pageSize?: number;
  retry?: BackoffOptions;
}

export interface MessagePipeline {
  timeline(conversationId: string): ConversationTimeline | undefined;
  /** New messages from the socket or a send. */
  ingest(messages: readonly ChatMessage[], source: MessageSource): void;
  /** Loads the newest `limit` messages (an empty conversation counts); returns the timeline's messages. */
  loadLatest(conversationId: string, limit: number): Promise<readonly ChatMessage[]>;
  /** Loads up to `limit` messages before the oldest loaded; returns them, oldest first. */
  loadOlder(conversationId: string, limit: number): Promise<ChatMessage[]>;
  /** Fetches whatever came after the timeline's watermark (after a reconnect). */
  resync(conversationId: string): Promise<void>;
  close(): void;
}

interface SyncState {
  /** Fetch until history has nothing newer (not only until held messages are unblocked). */
  catchUp: boolean;
  running?: Promise<void>;
  timer?: ReturnType<typeof setTimeout>;
  /** Syncs in a row that ended with the gap still open: the next waits longer. */
  unfilled: number;
}

/**
 * From messages as they arrive to messages as the user sees them: per conversation a
 * timeline orders them by seq and drops repeats; a message ahead of a gap waits while the gap
 * is fetched from history (after `gapFillDelayMs`, since the missing message is usually just
 * behind it on the socket); a resync fetches `after` the watermark page by page until history
 * has nothing newer. Fetches are retried with backoff while they fail for a retryable reason.
 */
export function createMessagePipeline(options: MessagePipelineOptions): MessagePipeline {
  const pageSize = options.pageSize ?? 200;
  const timelines = new Map<string, ConversationTimeline>();
  const syncs = new Map<string, SyncState>();
  let closed = false;
  /** Waits between retries, cut short by close() so no timer outlives the client. */
  const pauses = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });

  const timelineOf = (conversationId: string) => {
    let timeline = timelines.get(conversationId);
    if (!timeline) {
      timeline = new ConversationTimeline(conversationId);
      timelines.set(conversationId, timeline);
    }
    return timeline;
  };
  const syncOf = (conversationId: string) => {
    let sync = syncs.get(conversationId);
    if (!sync) {
      sync = { catchUp: false, unfilled: 0 };
      syncs.set(conversationId, sync);
    }
    return sync;
  };

  const handOut = (messages: ChatMessage[], source: MessageSource) => {
    if (messages.length > 0 && !closed) options.onMessages(messages, source);
  };

  const fetchPage = async (
    conversationId: string,
    query: Parameters<HistoryApi['messages']>[1],
  ) => {
    const entries = await options.history.messages(conversationId, query);
    options.onHistory?.(entries);
    return entries.map((entry) => entry.message);
  };

  /** Fetches until the gap is filled (and, with catchUp, until nothing newer is left). */
  const sync = (conversationId: string): Promise<void> => {
    const state = syncOf(conversationId);
    clearTimeout(state.timer);
    state.timer = undefined;
    state.running ??= (async () => {
      const timeline = timelineOf(conversationId);
      let failures = 0;
      while (!closed && (state.catchUp || timeline.gap())) {
        try {
          const page = await fetchPage(conversationId, {
            after: timeline.watermark ?? 0,
            limit: pageSize,
          });
          failures = 0;
          handOut(timeline.addNew(page), 'history');
          // A short page is the end of history; a gap still open then cannot be filled now.
          if (page.length < pageSize) break;
        } catch (error) {
          const coded = error instanceof ChatClientError ? error : undefined;
          if (closed || coded?.code === 'CLOSED') break;
          if (coded && coded.code !== 'NETWORK' && !isRetryableCode(coded.code)) {
            options.onError(coded, conversationId);
            break;
          }
          await pause(coded?.retryAfterMs ?? backoffDelay(++failures, options.retry));
        }
      }
      state.catchUp = false;
    })().finally(() => {
      state.running = undefined;
      // A gap opened while the last page was on its way, or history could not fill it yet.
      if (timelineOf(conversationId).gap()) {
        state.unfilled++;
        fillLater(conversationId);
      } else {
        state.unfilled = 0;
      }
    });
    return state.running;
  };

  const fillLater = (conversationId: string) => {
    const state = syncOf(conversationId);
    if (state.running || state.timer !== undefined || closed) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        if (timelineOf(conversationId).gap()) void sync(conversationId);
      },
      Math.min(30_000, (options.gapFillDelayMs ?? 500) * 2 ** state.unfilled),
    );
  };

  return {
    timeline: (conversationId) => timelines.get(conversationId),
    ingest(messages, source) {
      const byConversation = new Map<string, ChatMessage[]>();
      for (const message of messages) {
        const list = byConversation.get(message.conversationId);
        if (list) list.push(message);
        else byConversation.set(message.conversationId, [message]);
      }
      for (const [conversationId, list] of byConversation) {
        const timeline = timelineOf(conversationId);
        handOut(timeline.addNew(list), source);
        if (timeline.gap()) fillLater(conversationId);
      }
    },
    async loadLatest(conversationId, limit) {
      let page: ChatMessage[];
      try {
        page = await fetchPage(conversationId, { limit });
      } catch (error) {
        // History knows a conversation from its first message on; before that it is empty.
        if (!(error instanceof ChatClientError && error.code === 'NOT_A_MEMBER')) throw error;
        page = [];
      }
      const timeline = timelineOf(conversationId);
      handOut(timeline.addHistory(page.reverse(), { latest: true }), 'history');
      if (timeline.gap()) fillLater(conversationId);
      return timeline.messages();
    },
    async loadOlder(conversationId, limit) {
      const timeline = timelineOf(conversationId);
      const before = timeline.oldestSeq();
      if (before === undefined || before <= 1) return [];
      const page = (await fetchPage(conversationId, { before, limit })).reverse();
      handOut(timeline.addHistory(page), 'history');
      return page;
    },
    resync(conversationId) {
      const state = syncOf(conversationId);
      const catchUp = () => {
        state.catchUp = true;
        return sync(conversationId);
      };
      // A fetch in progress may have been answered before the reconnect: go round again after it.
      return state.running ? state.running.then(catchUp) : catchUp();
    },
    close() {
      closed = true;
      for (const state of syncs.values()) clearTimeout(state.timer);
      for (const done of [...pauses]) done();
    },
  };
}
