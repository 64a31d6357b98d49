import type { QueueCount } from '@chat/testing';
import type { CarefulClient, SentMessage } from './careful-client';
import {
  answersOf,
  deliveryOf,
  duplicatesCheck,
  type AnswerFigures,
  type DeliveryFigures,
} from './delivery-checks';

export type CheckName =
  | 'lost'
  | 'order'
  | 'undelivered'
  | 'duplicates'
  | 'oneAnswer'
  | 'completed'
  | 'parked'
  | 'recovery'
  | 'cleanStop'
  | 'heldNotRequeued'
  | 'refusedOnce'
  | 'takeover';

export interface Check {
  name: CheckName;
  title: string;
  ok: boolean;
  /** One line with the counts behind the verdict. */
  summary: string;
  /** Up to a few offending items, for the failure message. */
  examples: unknown[];
}

/** A row of `messages`, as PostgreSQL has it. */
export interface StoredRow {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  receiverId: string;
  clientMessageId: string;
  body: string;
  createdAt: Date;
}

export interface CheckInput {
  clients: CarefulClient[];
  rows: StoredRow[];
  deadLetters: QueueCount[];
  /** Ids sitting in each receiver's Redis offline queue at the end (for undelivered ones). */
  offlineIds: Map<string, Set<string>>;
  recovery: { ms?: number; outcome?: SentMessage['outcome']; limitMs: number };
  endsSocketHolder?: 'SIGTERM' | 'SIGKILL';
  /** When the fault began (e.g. the SIGTERM was sent). */
  faultStartedAt: number;
}

export const MAX_EXAMPLES = 5;

/** The guarantees, each computed from PostgreSQL (the truth) and what the clients saw. */
export function computeChecks(input: CheckInput): {
  checks: Check[];
  delivery: DeliveryFigures;
  answers: AnswerFigures;
} {
  const clientOf = new Map(input.clients.map((client) => [client.userId, client]));
  const rowsByKey = new Map<string, StoredRow[]>();
  for (const row of input.rows) {
    const key = `${row.senderId}|${row.clientMessageId}`;
    rowsByKey.set(key, [...(rowsByKey.get(key) ?? []), row]);
  }
  const sent = input.clients.flatMap((client) =>
    client.sent.map((message) => ({ client, message })),
  );
  const delivery = deliveryOf(input, clientOf);
  const answers = answersOf(input);
  return {
    delivery: delivery.figures,
    answers: answers.figures,
    checks: [
      lostCheck(sent, rowsByKey),
      orderCheck(input.rows),
      delivery.check,
      duplicatesCheck(input, delivery.figures),
      answers.check,
      completedCheck(sent),
      parkedCheck(input.deadLetters),
      recoveryCheck(input.recovery),
    ],
  };
}

type Sent = { client: CarefulClient; message: SentMessage };

function lostCheck(sent: Sent[], rowsByKey: Map<string, StoredRow[]>): Check {
  const acked = sent.filter(({ message }) => message.outcome === 'ok');
  const bad = acked.flatMap(({ client, message }) => {
    const rows = rowsByKey.get(`${client.userId}|${message.clientMessageId}`) ?? [];
    const row = rows[0];
    if (rows.length === 1 && row?.id === message.stored?.id && row?.body === message.text) {
      return [];
    }
    return [
      {
        clientMessageId: message.clientMessageId,
        ackedId: message.stored?.id,
        rows: rows.map(({ id, seq, body }) => ({ id, seq, body })),
      },
    ];
  });
  return {
    name: 'lost',
    title: 'every message acked ok is stored exactly once',
    ok: bad.length === 0,
    summary: `${bad.length} of ${acked.length} acked messages not stored exactly once as acked`,
    examples: bad.slice(0, MAX_EXAMPLES),
  };
}

/** The number of a message in its sender's stream, from its clientMessageId `<user>.<n>`. */
function streamIndex(clientMessageId: string): number {
  return Number(clientMessageId.slice(clientMessageId.lastIndexOf('.') + 1));
}

function orderCheck(rows: StoredRow[]): Check {
  const streams = new Map<string, StoredRow[]>();
  for (const row of [...rows].sort((a, b) =>
    a.conversationId === b.conversationId
      ? a.seq - b.seq
      : a.conversationId.localeCompare(b.conversationId),
  )) {
    const key = `${row.conversationId}|${row.senderId}`;
    streams.set(key, [...(streams.get(key) ?? []), row]);
  }
  const bad: unknown[] = [];
  for (const [key, stream] of streams) {
    for (let i = 1; i < stream.length; i++) {
      const previous = stream[i - 1]!;
      const current = stream[i]!;
      if (streamIndex(previous.clientMessageId) >= streamIndex(current.clientMessageId)) {
        bad.push({
          stream: key,
          storedAsSeq: [previous.seq, current.seq],
          sentAsNumber: [
            streamIndex(previous.clientMessageId),
            streamIndex(current.clientMessageId),
          ],
        });
      }
    }
  }
  return {
    name: 'order',
    title: "each conversation is stored in each sender's send order",
    ok: bad.length === 0,
    summary: `${bad.length} inversions over ${streams.size} sender streams, ${rows.length} rows`,
    examples: bad.slice(0, MAX_EXAMPLES),
  };
}

function completedCheck(sent: Sent[]): Check {
  const bad = sent
    .filter(({ message }) => message.outcome !== 'ok')
    .map(({ message }) => ({
      clientMessageId: message.clientMessageId,
      outcome: message.outcome ?? 'still pending',
      refusal: message.refusal,
      emits: message.emits.length,
    }));
  return {
    name: 'completed',
    title: 'every message a careful client keeps sending is stored in the end (no final refusal)',
    ok: bad.length === 0,
    summary: `${bad.length} of ${sent.length} messages refused for good or given up`,
    examples: bad.slice(0, MAX_EXAMPLES),
  };
}

function parkedCheck(deadLetters: QueueCount[]): Check {
  const parked = deadLetters.filter((queue) => (queue.messageCount ?? 0) > 0);
  const total = parked.reduce((sum, queue) => sum + (queue.messageCount ?? 0), 0);
  return {
    name: 'parked',
    title: "nothing is parked on the namespace's dead-letter queues",
    ok: total === 0,
    summary: `${total} messages on ${deadLetters.length} dead-letter queues`,
    examples: parked.slice(0, MAX_EXAMPLES),
  };
}

function recoveryCheck(recovery: CheckInput['recovery']): Check {
  const ok =
    recovery.outcome === 'ok' && recovery.ms !== undefined && recovery.ms <= recovery.limitMs;
  return {
    name: 'recovery',
    title: `after the heal, a fresh send is acked within ${recovery.limitMs / 1000} s`,
    ok,
    summary:
      recovery.outcome === 'ok'
        ? `acked ${recovery.ms} ms after the heal`
        : `not acked (${recovery.outcome ?? 'pending'})`,
    examples: [],
  };
}
