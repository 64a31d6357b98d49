import type { SendMessageAck } from '@chat/contracts';
import { closeSocket, connectUser, mapLimit, waitUntil, type ClientSocket } from '../clients';
import { createPairs, messageBody, type Pair } from '../fixtures';
import type { BenchStack } from '../stack';
import {
  now,
  perSecond,
  summarize,
  watchProcessLoad,
  type ProcessLoad,
  type Summary,
} from '../stats';

export interface ThroughputResult {
  pairs: number;
  messagesPerSender: number;
  inflightPerSender: number;
  sent: number;
  delivered: number;
  failed: number;
  durationMs: number;
  messagesPerSec: number;
  /** emit → the receiver's `new-message`, under load. */
  endToEndMs: Summary;
  /** emit → the sender's acknowledgement (the message is stored), under load. */
  ackMs: Summary;
  load: ProcessLoad;
  /** One pair, one message at a time, nothing else running: the latency floor. */
  unloaded: { messages: number; endToEndMs: Summary; ackMs: Summary };
}

interface Sender {
  pair: Pair;
  socket: ClientSocket;
  receiver: ClientSocket;
}

/** What one round of sends measured; receivers record into the round in progress. */
interface Round {
  emittedAt: Map<string, number>;
  endToEnd: number[];
  ack: number[];
  lastDeliveryAt: number;
}

const WARMUP_PER_SENDER = 5;
/** Messages of the unloaded probe, at most `messages`. */
const UNLOADED_MESSAGES = 50;

/**
 * First the latency floor: one sender, one message at a time. Then the load: P senders each
 * send M messages to their own receiver over websockets, keeping at most `inflight`
 * unacknowledged. Each message is timed from emit to ack and to the receiver's `new-message`
 * (matched by clientMessageId). A few warm-up messages per sender go first, not counted.
 */
export async function runThroughput(
  stack: BenchStack,
  options: { pairs: number; messages: number; inflight: number },
): Promise<ThroughputResult> {
  const pairs = await createPairs(stack.db, 'tp', options.pairs);
  let round: Round = newRound();
  const senders = await mapLimit(pairs, 20, async (pair): Promise<Sender> => {
    const { socket: receiver } = await connectUser(stack.baseUrl, pair.tutor);
    receiver.on('new-message', (message) => {
      const at = now();
      const id = message.clientMessageId ?? '';
      const started = round.emittedAt.get(id);
      if (started === undefined) return;
      round.emittedAt.delete(id);
      round.endToEnd.push(at - started);
      round.lastDeliveryAt = at;
    });
    const { socket } = await connectUser(stack.baseUrl, pair.student);
    return { pair, socket, receiver };
  });
  const runRound = async (tag: string, from: Sender[], count: number, inflight: number) => {
    round = newRound();
    const failures = await Promise.all(
      from.map(({ pair, socket }) => sendMany(socket, pair, tag, count, inflight, round)),
    );
    const sendsDoneAt = now();
    const failed = failures.reduce((total, value) => total + value, 0);
    // A message lost on the way shows as delivered < sent in the report, not as a crash.
    await waitUntil('every new-message', () => round.emittedAt.size === 0, 30_000).catch(
      () => undefined,
    );
    return {
      ...round,
      failed,
      sent: from.length * count,
      doneAt: Math.max(round.lastDeliveryAt, sendsDoneAt),
    };
  };

  try {
    await runRound('w', senders, WARMUP_PER_SENDER, options.inflight);
    const probe = Math.min(UNLOADED_MESSAGES, options.messages);
    const unloaded = await runRound('u', senders.slice(0, 1), probe, 1);

    const stopWatching = watchProcessLoad();
    const startedAt = now();
    const loaded = await runRound('m', senders, options.messages, options.inflight);
    const load = stopWatching();
    const durationMs = loaded.doneAt - startedAt;
    return {
      pairs: options.pairs,
      messagesPerSender: options.messages,
      inflightPerSender: options.inflight,
      sent: loaded.sent,
      delivered: loaded.endToEnd.length,
      failed: loaded.failed,
      durationMs: Math.round(durationMs),
      messagesPerSec: perSecond(loaded.endToEnd.length, durationMs),
      endToEndMs: summarize(loaded.endToEnd),
      ackMs: summarize(loaded.ack),
      load,
      unloaded: {
        messages: probe,
        endToEndMs: summarize(unloaded.endToEnd),
        ackMs: summarize(unloaded.ack),
      },
    };
  } finally {
    for (const { socket, receiver } of senders) {
      closeSocket(socket);
      closeSocket(receiver);
    }
  }
}

const newRound = (): Round => ({ emittedAt: new Map(), endToEnd: [], ack: [], lastDeliveryAt: 0 });

/**
 * Sends `count` messages from the pair's student with at most `inflight` unacknowledged,
 * recording emit times and ack latencies in `round`; resolves with the number that failed.
 */
export async function sendMany(
  socket: ClientSocket,
  pair: Pair,
  tag: string,
  count: number,
  inflight: number,
  round: Pick<Round, 'emittedAt' | 'ack'> = { emittedAt: new Map(), ack: [] },
): Promise<number> {
  let failed = 0;
  const indexes = Array.from({ length: count }, (_, index) => index);
  await mapLimit(indexes, inflight, (index) => {
    const clientMessageId = `${pair.student}-${tag}${index}`;
    return new Promise<void>((resolve) => {
      const started = now();
      round.emittedAt.set(clientMessageId, started);
      socket.timeout(30_000).emit(
        'send-message',
        {
          conversationId: pair.conversationId,
          receiverId: pair.tutor,
          message: messageBody(index),
          clientMessageId,
        },
        ((error: Error | null, ack?: SendMessageAck) => {
          if (error || !ack?.ok) {
            failed++;
            round.emittedAt.delete(clientMessageId);
          } else {
            round.ack.push(now() - started);
          }
          resolve();
        }) as never,
      );
    });
  });
  return failed;
}
