import type { CarefulClient } from './careful-client';
import { MAX_EXAMPLES, type Check, type CheckInput } from './checks';

/** What reached the receivers, by the way it came first. */
export interface DeliveryFigures {
  live: number;
  queued: number;
  resyncOnly: number;
  undelivered: number;
  duplicates: number;
}

/** What the emits of send-message got back. */
export interface AnswerFigures {
  emits: number;
  answered: number;
  answeredTwice: number;
  unansweredSocketClosed: number;
  /** Of those, sent during a SIGTERM's drain within CLOSE_RACE_MS of the close (allowed). */
  crossedClose: number;
  unansweredSocketOpen: number;
}

/**
 * A send emitted after the SIGTERM and this shortly before its socket closed may have met the
 * closing socket on the wire: the server cannot answer what reaches it after it closed.
 */
export const CLOSE_RACE_MS = 250;

export function deliveryOf(
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

export function duplicatesCheck(input: CheckInput, figures: DeliveryFigures): Check {
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

export function answersOf(input: CheckInput): { check: Check; figures: AnswerFigures } {
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
