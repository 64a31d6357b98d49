import { closeSocket, connectUser, waitUntil } from '../clients';
import { createPairs } from '../fixtures';
import type { BenchStack } from '../stack';
import { now, summarize, type Summary } from '../stats';
import { sendMany } from './throughput';

export interface OfflineDrainResult {
  messages: number;
  failed: number;
  /** First emit → last ack, the receiver offline. */
  sendMs: number;
  /** First emit → every message in the receiver's offline queue (via chat.offline). */
  queuedMs: number;
  rounds: number;
  /** The receiver's io() → `connected` carrying every queued message, per round. */
  connectedMs: Summary;
  roundsMs: number[];
  /** Queued messages in the last round's `connected` (should equal `messages`). */
  received: number;
  payloadKb: number;
}

/**
 * A receiver with no socket gets K messages; then connects `rounds` times and gets them all in
 * `connected`. Disconnecting right away (before the edge confirms the hand-over) puts the
 * queue back, so every round drains the same K messages.
 */
export async function runOfflineDrain(
  stack: BenchStack,
  options: { messages: number; rounds: number; inflight: number },
): Promise<OfflineDrainResult> {
  const [pair] = await createPairs(stack.db, 'off', 1);
  const { student, tutor } = pair!;
  const queueLength = () => stack.redis.redis.llen(`offline:${tutor}`);
  const { socket: sender } = await connectUser(stack.baseUrl, student);
  let failed: number;
  let sendMs: number;
  let queuedMs: number;
  const startedAt = now();
  try {
    failed = await sendMany(sender, pair!, 'o', options.messages, options.inflight);
    sendMs = now() - startedAt;
    const expected = options.messages - failed;
    await waitUntil('the offline queue to fill', async () => (await queueLength()) >= expected);
    queuedMs = now() - startedAt;
  } finally {
    closeSocket(sender);
  }

  const expected = await queueLength();
  const roundsMs: number[] = [];
  let received = 0;
  let payloadKb = 0;
  for (let round = 0; round < options.rounds; round++) {
    const connectedAt = now();
    const { socket, connected } = await connectUser(stack.baseUrl, tutor);
    roundsMs.push(now() - connectedAt);
    received = connected.queuedMessages.length;
    payloadKb = Math.round(Buffer.byteLength(JSON.stringify(connected)) / 1024);
    closeSocket(socket);
    if (received !== expected) break;
    // Disconnected before the confirm: the edge restores the queue for the next round.
    await waitUntil(
      'the offline queue to be restored',
      async () => (await queueLength()) === expected,
    );
  }
  return {
    messages: options.messages,
    failed,
    sendMs: Math.round(sendMs),
    queuedMs: Math.round(queuedMs),
    rounds: roundsMs.length,
    connectedMs: summarize(roundsMs),
    roundsMs: roundsMs.map((ms) => Math.round(ms * 10) / 10),
    received,
    payloadKb,
  };
}
