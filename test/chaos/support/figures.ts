import type { QueueCount } from '@chat/testing';
import type { CarefulClient } from './careful-client';
import type { StoredRow } from './checks';
import type { AnswerFigures, DeliveryFigures } from './delivery-checks';
import type { FaultWindow } from './faults';
import type { LogLine } from './evidence';
import type { ScenarioOptions } from './scenario';

/** What one scenario measured, for the report and docs/reliability.md. */
export interface ScenarioFigures {
  duplexPairs: number;
  awayPairs: number;
  senders: number;
  faultMs: number;
  streamSec: number;
  /** Messages the clients sent (each maybe emitted several times), the probe included. */
  messages: number;
  acked: number;
  emits: number;
  ackedPerSec: number;
  /** Re-sends, by the reason: a refusal code, `silence` (no answer in 10 s) or `disconnected`. */
  retries: Record<string, number>;
  /** From a message's first emit to its ok ack. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Messages sent before the fault began and acked after it began: in flight at its start. */
  inFlightAtStart: number;
  /** Messages in flight at some point of the fault (first sent before the heal, acked after it began). */
  caughtByFault: number;
  /** The longest any message sent before the heal waited for its ack. */
  longestHoldMs: number;
  storedDuringFault: number;
  delivery: DeliveryFigures;
  answers: AnswerFigures;
  /** Involuntary disconnects of client sockets. */
  drops: number;
  resyncFailures: number;
  /** Receptions whose seq was lower than one received before in the conversation. */
  receivedBackwards: number;
  parked: number;
  leftInSendQueues: number;
  recoveryMs?: number;
  /** What the services logged meanwhile. */
  log: {
    refusals: Record<string, number>;
    /** Commands refused more than once (the same correlationId). */
    commandsRefusedAgain: number;
    heldBatchRetries: number;
    requeues: number;
    parkings: number;
    errors: number;
  };
  notes: FaultWindow['notes'];
}

export function summarize(input: {
  options: ScenarioOptions;
  clients: CarefulClient[];
  senders: CarefulClient[];
  rows: StoredRow[];
  window: FaultWindow;
  streamStartedAt: number;
  streamEndedAt: number;
  delivery: DeliveryFigures;
  answers: AnswerFigures;
  deadLetters: QueueCount[];
  leftInSendQueues: QueueCount[];
  recoveryMs?: number;
  log: LogLine[];
}): ScenarioFigures {
  const { window } = input;
  const messages = input.clients.flatMap((client) => client.sent);
  const acked = messages.filter((m) => m.outcome === 'ok' && m.settledAt !== undefined);
  const latencies = acked.map((m) => m.settledAt! - m.firstEmitAt).sort((a, b) => a - b);
  const retries: Record<string, number> = {};
  for (const client of input.clients) {
    for (const [reason, count] of Object.entries(client.retries)) {
      if (count > 0) retries[reason] = (retries[reason] ?? 0) + count;
    }
  }
  const streamSec = (input.streamEndedAt - input.streamStartedAt) / 1000;
  const caught = acked.filter(
    (m) => m.firstEmitAt < window.healedAt && m.settledAt! >= window.startedAt,
  );
  const beforeHeal = acked.filter((m) => m.firstEmitAt < window.healedAt);
  const sum = (queues: QueueCount[]) => queues.reduce((n, q) => n + (q.messageCount ?? 0), 0);
  return {
    duplexPairs: input.options.duplexPairs,
    awayPairs: input.options.awayPairs,
    senders: input.senders.length,
    faultMs: window.healedAt - window.startedAt,
    streamSec: round(streamSec, 1),
    messages: messages.length,
    acked: acked.length,
    emits: input.answers.emits,
    ackedPerSec: round(acked.length / streamSec, 1),
    retries,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
    inFlightAtStart: acked.filter(
      (m) => m.firstEmitAt < window.startedAt && m.settledAt! >= window.startedAt,
    ).length,
    caughtByFault: caught.length,
    longestHoldMs: Math.max(0, ...beforeHeal.map((m) => m.settledAt! - m.firstEmitAt)),
    storedDuringFault: input.rows.filter(
      (row) =>
        row.createdAt.getTime() >= window.startedAt && row.createdAt.getTime() < window.healedAt,
    ).length,
    delivery: input.delivery,
    answers: input.answers,
    drops: input.clients.reduce((n, c) => n + c.drops, 0),
    resyncFailures: input.clients.reduce((n, c) => n + c.resyncFailures, 0),
    receivedBackwards: input.clients.reduce((n, c) => n + c.backwards, 0),
    parked: sum(input.deadLetters),
    leftInSendQueues: sum(input.leftInSendQueues),
    recoveryMs: input.recoveryMs,
    log: logFigures(input.log),
    notes: window.notes,
  };
}

function logFigures(lines: LogLine[]): ScenarioFigures['log'] {
  const refusals: Record<string, number> = {};
  const refusedIds = new Map<string, number>();
  let heldBatchRetries = 0;
  let requeues = 0;
  let parkings = 0;
  let errors = 0;
  for (const line of lines) {
    if (line.level >= 50) errors++;
    switch (line.msg) {
      case 'send refused': {
        const code = String(line.code);
        refusals[code] = (refusals[code] ?? 0) + 1;
        const id = String(line.correlationId);
        refusedIds.set(id, (refusedIds.get(id) ?? 0) + 1);
        break;
      }
      case 'database unavailable, holding the batch and trying again':
        heldBatchRetries++;
        break;
      case 'handler failed, requeueing':
        requeues++;
        break;
      case 'parking poison message':
        parkings++;
        break;
    }
  }
  return {
    refusals,
    commandsRefusedAgain: [...refusedIds.values()].filter((n) => n > 1).length,
    heldBatchRetries,
    requeues,
    parkings,
    errors,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
