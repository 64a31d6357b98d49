import { Agent, request } from 'node:http';
import { createMessageStore } from '@chat/db';
import { mintToken } from '@chat/testing';
import { mapLimit } from '../clients';
import { createPairs, messageBody } from '../fixtures';
import type { BenchStack } from '../stack';
import {
  now,
  perSecond,
  summarize,
  watchProcessLoad,
  type ProcessLoad,
  type Summary,
} from '../stats';

export interface HistoryResult {
  requests: number;
  concurrency: number;
  /** Messages in the conversation read; each page is the newest `pageSize`. */
  conversationMessages: number;
  pageSize: number;
  failed: number;
  durationMs: number;
  requestsPerSec: number;
  latencyMs: Summary;
  responseKb: number;
  load: ProcessLoad;
}

const SEEDED_MESSAGES = 200;
const PAGE_SIZE = 50;
const WARMUP_REQUESTS = 20;

/**
 * GET /chat/messages/:conversationId?limit=50 by one member of a conversation with 200
 * messages, N times with C in flight over keep-alive connections: authentication, rate limit
 * (Redis), membership check and the page query (PostgreSQL), JSON.
 */
export async function runHistory(
  stack: BenchStack,
  options: { requests: number; concurrency: number },
): Promise<HistoryResult> {
  const [pair] = await createPairs(stack.db, 'hist', 1);
  const { student, tutor, conversationId } = pair!;
  const messages = createMessageStore(stack.db.knex);
  for (let index = 0; index < SEEDED_MESSAGES; index++) {
    const [senderId, receiverId] = index % 2 === 0 ? [student, tutor] : [tutor, student];
    await messages.storeMessage({
      conversationId,
      senderId,
      receiverId,
      body: messageBody(index),
      clientMessageId: `seed-${index}`,
    });
  }

  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(`/chat/messages/${conversationId}?limit=${PAGE_SIZE}`, stack.baseUrl);
  const headers = { authorization: `Bearer ${mintToken(student)}` };
  const get = () => getOnce(agent, url, headers);
  try {
    const warmup = Array.from({ length: WARMUP_REQUESTS }, (_, index) => index);
    await mapLimit(warmup, options.concurrency, get);

    const latencies: number[] = [];
    let failed = 0;
    let responseBytes = 0;
    const stopWatching = watchProcessLoad();
    const startedAt = now();
    const all = Array.from({ length: options.requests }, (_, index) => index);
    await mapLimit(all, options.concurrency, async () => {
      const started = now();
      const response = await get();
      latencies.push(now() - started);
      if (response.status !== 200) failed++;
      responseBytes = response.bytes;
    });
    const durationMs = now() - startedAt;
    return {
      requests: options.requests,
      concurrency: options.concurrency,
      conversationMessages: SEEDED_MESSAGES,
      pageSize: PAGE_SIZE,
      failed,
      durationMs: Math.round(durationMs),
      requestsPerSec: perSecond(options.requests, durationMs),
      latencyMs: summarize(latencies),
      responseKb: Math.round((responseBytes / 1024) * 10) / 10,
      load: stopWatching(),
    };
  } finally {
    agent.destroy();
  }
}

function getOnce(
  agent: Agent,
  url: URL,
  headers: Record<string, string>,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
