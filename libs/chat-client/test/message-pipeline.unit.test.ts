import { ChatClientError } from '../src/errors';
import type { HistoryApi, MessagesQuery } from '../src/history-api';
import { createMessagePipeline, type MessageSource } from '../src/message-pipeline';
import type { ChatMessage } from '../src/types';
import { message, range, seqs } from './support/messages';

/** History holding `stored` (ascending), answering like the REST API; `failures` are thrown first. */
function fakeHistory(stored: ChatMessage[], failures: ChatClientError[] = []) {
  const queries: MessagesQuery[] = [];
  const history: HistoryApi = {
    messages: (_conversationId, query = {}) => {
      queries.push(query);
      const failure = failures.shift();
      if (failure) return Promise.reject(failure);
      const limit = query.limit ?? 50;
      let page: ChatMessage[];
      if (query.after !== undefined) {
        page = stored.filter((m) => m.seq > query.after!).slice(0, limit);
      } else {
        const before = query.before ?? Infinity;
        page = stored
          .filter((m) => m.seq < before)
          .reverse()
          .slice(0, limit);
      }
      return Promise.resolve(page.map((m) => ({ message: m, delivered: undefined })));
    },
    conversations: () => Promise.reject(new Error('not used')),
    markRead: () => Promise.reject(new Error('not used')),
  };
  return { history, queries };
}

function pipelineOver(stored: ChatMessage[], failures: ChatClientError[] = [], pageSize = 200) {
  const { history, queries } = fakeHistory(stored, failures);
  const handed: [number, MessageSource][] = [];
  const errors: string[] = [];
  const pipeline = createMessagePipeline({
    history,
    onMessages: (messages, source) =>
      handed.push(...messages.map((m): [number, MessageSource] => [m.seq, source])),
    onError: (error) => errors.push(error.code),
    gapFillDelayMs: 100,
    pageSize,
    retry: { baseMs: 1000, maxMs: 1000 },
  });
  return { pipeline, queries, handed, errors };
}

describe('createMessagePipeline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when a message arrives ahead of a gap, then after the delay the gap is fetched and all are handed out in order', async () => {
    const { pipeline, queries, handed } = pipelineOver(range(1, 4));
    pipeline.ingest([message(1)], 'live');
    pipeline.ingest([message(4)], 'live');
    expect(handed).toEqual([[1, 'live']]);
    await jest.advanceTimersByTimeAsync(100);
    expect(queries).toEqual([{ after: 1, limit: 200 }]);
    expect(handed).toEqual([
      [1, 'live'],
      [2, 'history'],
      [3, 'history'],
      [4, 'history'],
    ]);
  });

  it('when the missing messages come live within the delay, then history is not asked', async () => {
    const { pipeline, queries, handed } = pipelineOver(range(1, 3));
    pipeline.ingest([message(1), message(3)], 'live');
    pipeline.ingest([message(2)], 'live');
    await jest.advanceTimersByTimeAsync(1000);
    expect(queries).toEqual([]);
    expect(seqs(pipeline.timeline('a_b')!.messages())).toEqual([1, 2, 3]);
    expect(handed.map(([seq]) => seq)).toEqual([1, 2, 3]);
  });

  it('when resyncing, then it fetches after the watermark page by page until a short page', async () => {
    const { pipeline, queries, handed } = pipelineOver(range(1, 5), [], 2);
    pipeline.ingest([message(1)], 'live');
    await pipeline.resync('a_b');
    expect(queries.map((query) => query.after)).toEqual([1, 3, 5]);
    expect(handed.map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('when a fetch fails for a retryable reason, then it is tried again after a backoff; a final failure is reported and ends it', async () => {
    const network = new ChatClientError('NETWORK', 'down');
    const { pipeline, queries, handed, errors } = pipelineOver(range(1, 3), [network]);
    pipeline.ingest([message(1)], 'live');
    const resync = pipeline.resync('a_b');
    // The backoff is drawn from 500-1000 ms.
    await jest.advanceTimersByTimeAsync(499);
    expect(queries).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(501);
    await resync;
    expect(handed.map(([seq]) => seq)).toEqual([1, 2, 3]);
    expect(errors).toEqual([]);

    const refused = pipelineOver([], [new ChatClientError('NOT_A_MEMBER', 'no')]);
    refused.pipeline.ingest([message(1)], 'live');
    await refused.pipeline.resync('a_b');
    expect(refused.errors).toEqual(['NOT_A_MEMBER']);
    expect(refused.queries).toHaveLength(1);
  });

  it('when a conversation history does not know yet is loaded, then it is empty with watermark 0', async () => {
    const { pipeline } = pipelineOver(
      [],
      [new ChatClientError('NOT_A_MEMBER', 'Conversation not found')],
    );
    await expect(pipeline.loadLatest('a_b', 50)).resolves.toEqual([]);
    expect(pipeline.timeline('a_b')!.watermark).toBe(0);
  });

  it('when the newest page and then older pages load, then they come back oldest first and nothing is handed out as new', async () => {
    const { pipeline, handed, queries } = pipelineOver(range(1, 7));
    expect(seqs(await pipeline.loadLatest('a_b', 3))).toEqual([5, 6, 7]);
    expect(seqs(await pipeline.loadOlder('a_b', 3))).toEqual([2, 3, 4]);
    expect(seqs(await pipeline.loadOlder('a_b', 3))).toEqual([1]);
    expect(await pipeline.loadOlder('a_b', 3)).toEqual([]);
    expect(queries).toEqual([{ limit: 3 }, { before: 5, limit: 3 }, { before: 2, limit: 3 }]);
    expect(handed).toEqual([]);
  });

  it('when closed while waiting to retry, then no timer is left', async () => {
    const { pipeline } = pipelineOver([], [new ChatClientError('NETWORK', 'down')]);
    pipeline.ingest([message(1), message(3)], 'live');
    const resync = pipeline.resync('a_b');
    await jest.advanceTimersByTimeAsync(0);
    pipeline.close();
    await resync;
    expect(jest.getTimerCount()).toBe(0);
  });
});
