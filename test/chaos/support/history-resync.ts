import type { HistoryMessage } from '@chat/contracts';

const PAGE = 200;

/**
 * What a reconnecting client missed: the conversation's messages after `afterSeq`, oldest
 * first, page by page through `GET /chat/messages/:conversationId?after=<seq>`. None when the
 * conversation does not exist yet (404: nothing was stored).
 */
export async function fetchMessagesAfter(
  historyUrl: string,
  token: string,
  conversationId: string,
  afterSeq: number,
): Promise<HistoryMessage[]> {
  const messages: HistoryMessage[] = [];
  for (let after = afterSeq; ;) {
    const response = await fetch(
      `${historyUrl}/chat/messages/${conversationId}?after=${after}&limit=${PAGE}`,
      { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) },
    );
    if (response.status === 404) return messages;
    if (!response.ok) throw new Error(`history answered ${response.status}`);
    const page = (await response.json()) as HistoryMessage[];
    messages.push(...page);
    if (page.length < PAGE) return messages;
    after = page.at(-1)!.seq;
  }
}
