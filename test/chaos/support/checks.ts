import type { QueueCount } from '@chat/testing';
import type { CarefulClient, SentMessage } from './careful-client';

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
  | 'refusedOnce';

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

/**
 * A send emitted after the SIGTERM and this shortly before its socket closed may have met the
 * closing socket on the wire: the server cannot answer what reaches it after it closed.
 */
export const CLOSE_RACE_MS = 250;

export interface DeliveryFigures {
  live: number;
  queued: number;
  resyncOnly: number;
  undelivered: number;
  duplicates: number;
}

export interface AnswerFigures {
  emits: number;
  answered: number;
  answeredTwice: number;
  unansweredSocketClosed: number;
  /** Of those, sent during a SIGTERM's drain within CLOSE_RACE_MS of the close (allowed). */
  crossedClose: number;
  unansweredSocketOpen: number;
}

const MAX_EXAMPLES = 5;

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

function deliveryOf(
  input: CheckInput,
  clientOf: Map<string, CarefulClient>,
): { check: Check; figures: DeliveryFigures } {
  const figures: DeliveryFigures = {
    live: 0,
    queued: 0,
    resyncOnly: 0,
    undelivered: 0,
    duplicates: 0,
  };
  const bad: unknown[] = [];
  for (const row of input.rows) {
    const receiver = clientOf.get(row.receiverId);
    const handed = receiver?.handed.get(row.id);
    if (handed) {
      figures[handed.vias[0] === 'queued' ? 'queued' : 'live']++;
    } else if (receiver?.resynced.has(row.id)) {
      figures.resyncOnly++;
    } else {
      figures.undelivered++;
      bad.push({
        id: row.id,
        seq: row.seq,
        clientMessageId: row.clientMessageId,
        receiver: row.receiverId,
        storedAt: row.createdAt.toISOString(),
        inReceiversOfflineQueue: input.offlineIds.get(row.receiverId)?.has(row.id) ?? false,
      });
    }
  }
  for (const client of input.clients) {
    for (const handed of client.handed.values()) if (handed.vias.length > 1) figures.duplicates++;
  }
  return {
    figures,
    check: {
      name: 'undelivered',
      title: 'every stored message reached its receiver (live, queued or by resync)',
      ok: figures.undelivered === 0,
      summary: `${figures.undelivered} of ${input.rows.length} stored messages never reached their receiver (live ${figures.live}, queued ${figures.queued}, resync only ${figures.resyncOnly})`,
      examples: bad.slice(0, MAX_EXAMPLES),
    },
  };
}

function duplicatesCheck(input: CheckInput, figures: DeliveryFigures): Check {
  const allowed = input.endsSocketHolder === 'SIGKILL';
  const bad = input.clients.flatMap((client) =>
    [...client.handed.values()]
      .filter((handed) => handed.vias.length > 1)
      .map((handed) => ({
        receiver: client.userId,
        id: handed.message.id,
        seq: handed.message.seq,
        handedAs: handed.vias,
      })),
  );
  return {
    name: 'duplicates',
    title: 'no message is handed to its receiver twice',
    ok: allowed || bad.length === 0,
    summary: `${figures.duplicates} messages handed twice or more${allowed ? ' (allowed: the socket holder was killed)' : ''}`,
    examples: bad.slice(0, MAX_EXAMPLES),
  };
}

function answersOf(input: CheckInput): { check: Check; figures: AnswerFigures } {
  const figures: AnswerFigures = {
    emits: 0,
    answered: 0,
    answeredTwice: 0,
    unansweredSocketClosed: 0,
    crossedClose: 0,
    unansweredSocketOpen: 0,
  };
  const bad: unknown[] = [];
  for (const client of input.clients) {
    for (const message of client.sent) {
      for (const emit of message.emits) {
        figures.emits++;
        const describe = (problem: string) => ({
          problem,
          clientMessageId: message.clientMessageId,
          emittedAt: new Date(emit.at).toISOString(),
          acks: emit.acks.map(({ ack }) => (ack.ok ? 'ok' : ack.error.code)),
        });
        if (emit.acks.length === 1) figures.answered++;
        else if (emit.acks.length > 1) {
          figures.answeredTwice++;
          bad.push(describe('answered more than once'));
        } else if (client.connectionEnded(emit)) {
          figures.unansweredSocketClosed++;
          const closedAt = client.closedAfter(emit);
          const crossed =
            input.endsSocketHolder === 'SIGTERM' &&
            emit.at >= input.faultStartedAt &&
            closedAt !== undefined &&
            closedAt - emit.at <= CLOSE_RACE_MS;
          if (crossed) figures.crossedClose++;
          else if (input.endsSocketHolder !== 'SIGKILL') {
            bad.push({
              ...describe('no answer before its socket closed'),
              socketClosedAfterMs: closedAt === undefined ? undefined : closedAt - emit.at,
            });
          }
        } else {
          figures.unansweredSocketOpen++;
          bad.push(describe('no answer on a live socket'));
        }
      }
    }
  }
  return {
    figures,
    check: {
      name: 'oneAnswer',
      title: 'every send-message got exactly one answer',
      ok: bad.length === 0,
      summary: `${figures.emits} emits: ${figures.answered} answered once, ${figures.answeredTwice} more than once, ${figures.unansweredSocketClosed} unanswered when their socket closed${input.endsSocketHolder === 'SIGKILL' ? ' (allowed after a SIGKILL)' : ` (${figures.crossedClose} of them sent during the drain within ${CLOSE_RACE_MS} ms of the close: allowed)`}, ${figures.unansweredSocketOpen} unanswered on a live socket`,
      examples: bad.slice(0, MAX_EXAMPLES),
    },
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
