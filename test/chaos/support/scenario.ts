import { loadavg } from 'node:os';
import { topologyNames } from '@chat/contracts';
import { queueCounts } from '@chat/testing';
import type { CarefulClient } from './careful-client';
import type { ChaosSystem } from './chaos-system';
import { computeChecks, type Check, type StoredRow } from './checks';
import {
  heldNotRequeuedCheck,
  offlineQueueIds,
  readLogLines,
  refusedOnceCheck,
  storedRows,
} from './evidence';
import type { Fault, FaultWindow } from './faults';
import { summarize, type ScenarioFigures } from './figures';
import { createWorkload, probeFromHeal, type WorkloadOptions } from './workload';

export interface ScenarioOptions extends WorkloadOptions {
  /** Short id, e.g. `postgres-cut-10s`. */
  name: string;
  fault: Fault;
  /** Pause after each acknowledged message, per sender; default 400 ms (under SEND_RATE_LIMIT's 3/s). */
  sendIntervalMs?: number;
  /** Acked messages every sender has before the fault; default 3. */
  warmupMessages?: number;
  /** Messages every sender gets acked, first sent after the heal, before the stream stops; default 4. */
  afterHealMessages?: number;
  /**
   * Messages the senders get acked in all before the stream stops, the fault coming once half
   * of them are (on top of the per-sender counts above); default none, the stream as long as
   * those counts make it.
   */
  streamMessages?: number;
}

export interface ScenarioReport {
  name: string;
  title: string;
  layout: ChaosSystem['layout'];
  startedAt: string;
  window: FaultWindow;
  figures: ScenarioFigures;
  checks: Check[];
  /** Where the services' log is, for a closer look. */
  logFile: string;
  /** Waits that ran out (the run went on to the checks anyway). */
  stalls: string[];
  /** The machine's 1-minute load average when the scenario started (other work on it shows here). */
  loadAverage: number;
}

const RECOVERY_LIMIT_MS = 2000;
/** How long the clients may take to finish the message in hand once the stream stops. */
const DRAIN_MS = 60_000;
/** How long, after the drain, answers and deliveries may take to arrive. */
const SETTLE_MS = 20_000;
/** How long a message only a resync produced may still take to be handed by the server. */
const RESYNC_GRACE_MS = 5_000;

/**
 * Runs one fault under a careful workload, then compares PostgreSQL with what the clients saw:
 * warm-up (every sender has messages acked), away receivers go offline, the fault, a fresh
 * send timed from the heal, the streams go on, away receivers come back, the streams stop and
 * drain, answers and deliveries settle, then every check is computed.
 */
export async function runScenario(
  system: ChaosSystem,
  options: ScenarioOptions,
): Promise<ScenarioReport> {
  const startedAt = Date.now();
  const loadAverage = Math.round(loadavg()[0]! * 100) / 100;
  const stalls: string[] = [];
  const until = async (what: string, condition: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        stalls.push(`${what} (waited ${timeoutMs} ms)`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  };
  const ackedSince = (client: CarefulClient, since: number) =>
    client.sent.filter((m) => m.outcome === 'ok' && m.firstEmitAt >= since).length;
  const streamMessages = options.streamMessages ?? 0;
  const ackedInAll = () => senders.reduce((n, sender) => n + ackedSince(sender, 0), 0);

  const workload = await createWorkload(system, options);
  const { senders } = workload;
  try {
    for (const sender of senders) sender.startStream(options.sendIntervalMs ?? 400);
    const streamStartedAt = Date.now();
    const warmup = options.warmupMessages ?? 3;
    await until(
      `every sender had ${warmup} messages acked before the fault`,
      () => senders.every((s) => ackedSince(s, 0) >= warmup),
      60_000,
    );
    await until(
      `half the stream's ${streamMessages} messages acked before the fault`,
      () => ackedInAll() >= streamMessages / 2,
      180_000,
    );

    for (const receiver of workload.awayReceivers) receiver.goOffline();
    const awayAt = Date.now();
    await until(
      'every away receiver missed 2 messages before the fault',
      () => workload.awaySenders.every((s) => ackedSince(s, awayAt) >= 2),
      30_000,
    );

    const window = await options.fault.inject(system, {
      allSendersWaiting: (ms) =>
        senders.every((sender) => {
          const last = sender.sent.at(-1);
          return last !== undefined && !last.outcome && last.firstEmitAt <= Date.now() - ms;
        }),
    });
    const probe = probeFromHeal(workload, window.healedAt, window.healedAt + DRAIN_MS, {
      socketUrl: system.socketUrl,
      historyUrl: system.historyUrl,
    });

    const afterHeal = options.afterHealMessages ?? 4;
    await until(
      `every sender had ${Math.ceil(afterHeal / 2)} messages acked after the heal`,
      () => senders.every((s) => ackedSince(s, window.healedAt) >= Math.ceil(afterHeal / 2)),
      60_000,
    );
    await Promise.all(
      workload.awayReceivers.map((receiver) =>
        receiver.connect(30_000).catch((error: unknown) => {
          stalls.push(`away receiver could not reconnect: ${(error as Error).message}`);
        }),
      ),
    );
    await until(
      `every sender had ${afterHeal} messages acked after the heal`,
      () => senders.every((s) => ackedSince(s, window.healedAt) >= afterHeal),
      60_000,
    );
    await until(
      `the stream's ${streamMessages} messages acked`,
      () => ackedInAll() >= streamMessages,
      180_000,
    );

    const stopAt = Date.now();
    await Promise.all(senders.map((sender) => sender.stopStream(stopAt + DRAIN_MS)));
    const probeResult = await probe;
    const streamEndedAt = Date.now();
    const clients = workload.clients;

    // Settling: every answer that can still come has come, every stored message of these users
    // has reached its receiver, and the resyncs are done — or SETTLE_MS passed. Then a little
    // longer for what only a resync produced, in case the server hands it after all.
    const users = clients.map((client) => client.userId);
    let rows = await storedRows(system, users);
    const receiverOf = (row: StoredRow) => clients.find((c) => c.userId === row.receiverId);
    const reached = (row: StoredRow) =>
      Boolean(receiverOf(row)?.handed.has(row.id) || receiverOf(row)?.resynced.has(row.id));
    const handed = (row: StoredRow) => Boolean(receiverOf(row)?.handed.has(row.id));
    const settle = async (condition: (row: StoredRow) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (
        clients.some((client) => client.unansweredOnLiveConnection().length > 0) ||
        !rows.every(condition)
      ) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 200));
        rows = await storedRows(system, users);
      }
      return true;
    };
    if (!(await settle(reached, SETTLE_MS))) {
      stalls.push(`answers and deliveries settling (waited ${SETTLE_MS} ms)`);
    } else {
      await settle(handed, RESYNC_GRACE_MS);
    }
    await Promise.all(clients.map((client) => client.settled()));
    rows = await storedRows(system, users);

    const names = topologyNames(system.namespace);
    const sendQueues = Array.from({ length: system.partitions }, (_, p) => names.sendQueue(p));
    const deadLetters = await queueCounts(
      system.rabbitmqUrl,
      [...sendQueues, names.offlineQueue, names.bookingQueue].map(names.deadLetterQueue),
    );
    const leftInSendQueues = await queueCounts(system.rabbitmqUrl, sendQueues);
    const undeliveredReceivers = new Set(
      rows.filter((row) => !reached(row)).map((r) => r.receiverId),
    );
    const offlineIds = new Map<string, Set<string>>();
    for (const receiver of undeliveredReceivers) {
      offlineIds.set(receiver, await offlineQueueIds(system, receiver));
    }

    const { checks, delivery, answers } = computeChecks({
      clients,
      rows,
      deadLetters,
      offlineIds,
      recovery: {
        ms: probeResult.ms,
        outcome: probeResult.message?.outcome,
        limitMs: RECOVERY_LIMIT_MS,
      },
      endsSocketHolder: options.fault.endsSocketHolder,
      faultStartedAt: window.startedAt,
    });
    const log = readLogLines(system.logFile, startedAt);
    // Every fault makes the services log something; none parsed means the log-based checks
    // would pass for want of lines.
    if (log.length === 0) throw new Error(`no JSON log lines since the start in ${system.logFile}`);
    if (options.fault.holdsCommands) checks.push(heldNotRequeuedCheck(log, window));
    checks.push(refusedOnceCheck(log));
    const figures = summarize({
      options,
      clients,
      senders,
      rows,
      window,
      streamStartedAt,
      streamEndedAt,
      delivery,
      answers,
      deadLetters,
      leftInSendQueues,
      recoveryMs: probeResult.ms,
      log,
    });
    return {
      name: options.name,
      title: options.fault.title,
      layout: system.layout,
      startedAt: new Date(startedAt).toISOString(),
      window,
      figures,
      checks: [...checks, ...window.checks],
      logFile: system.logFile,
      stalls,
      loadAverage,
    };
  } finally {
    for (const client of workload.clients) client.close();
  }
}
