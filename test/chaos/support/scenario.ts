import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { canonicalConversationId, chatMessageSchema, topologyNames } from '@chat/contracts';
import { createBookingStore } from '@chat/db';
import { queueCounts } from '@chat/testing';
import { CarefulClient, type SentMessage } from './careful-client';
import type { ChaosSystem } from './chaos-system';
import { computeChecks, type Check, type StoredRow } from './checks';
import type { Fault, FaultWindow } from './faults';
import { summarize, type ScenarioFigures } from './figures';

export interface ScenarioOptions {
  /** Short id, e.g. `postgres-cut-10s`. */
  name: string;
  fault: Fault;
  /** Pairs whose two users are online throughout and both send. */
  duplexPairs: number;
  /** Pairs whose receiver goes offline before the fault and comes back after it. */
  awayPairs: number;
  /** Pause after each acknowledged message, per sender; default 400 ms (under SEND_RATE_LIMIT's 3/s). */
  sendIntervalMs?: number;
  /** Acked messages every sender has before the fault; default 3. */
  warmupMessages?: number;
  /** Messages every sender gets acked, first sent after the heal, before the stream stops; default 4. */
  afterHealMessages?: number;
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

interface Workload {
  clients: CarefulClient[];
  senders: CarefulClient[];
  awayReceivers: CarefulClient[];
  awaySenders: CarefulClient[];
  probeSender: CarefulClient;
}

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
    const probe = probeFromHeal(workload, window.healedAt, {
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

async function createWorkload(system: ChaosSystem, options: ScenarioOptions): Promise<Workload> {
  const bookings = createBookingStore(system.db.knex);
  const urls = { socketUrl: system.socketUrl, historyUrl: system.historyUrl };
  const pair = async (label: string) => {
    const a = `${label}-${randomUUID()}`;
    const b = `${label}-${randomUUID()}`;
    await bookings.applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: a,
      tutorId: b,
      status: 'confirmed',
      occurredAt: new Date(),
    });
    const conversationId = canonicalConversationId(a, b);
    return [
      new CarefulClient(a, b, conversationId, urls),
      new CarefulClient(b, a, conversationId, urls),
    ] as const;
  };
  const duplex = await Promise.all(Array.from({ length: options.duplexPairs }, () => pair('d')));
  const away = await Promise.all(Array.from({ length: options.awayPairs }, () => pair('a')));
  const [probeSender, probeReceiver] = await pair('p');
  const clients = [...duplex.flat(), ...away.flat(), probeSender, probeReceiver];
  await Promise.all(clients.map((client) => client.connect()));
  return {
    clients,
    senders: [...duplex.flat(), ...away.map(([sender]) => sender)],
    awaySenders: away.map(([sender]) => sender),
    awayReceivers: away.map(([, receiver]) => receiver),
    probeSender,
  };
}

/**
 * A fresh message sent at the heal, acked how long after it. When the fault took the probe's
 * socket away, the probe comes back as a new connection at once (so the figure is the
 * system's recovery, not socket.io-client's reconnection backoff).
 */
async function probeFromHeal(
  workload: Workload,
  healedAt: number,
  urls: { socketUrl: string; historyUrl: string },
): Promise<{ ms?: number; message?: SentMessage }> {
  let probe = workload.probeSender;
  if (!probe.socket.connected) {
    // socket.io-client may be in its reconnection backoff: a new connection, as a user
    // reloading the page would make, measures the system instead.
    const fresh = new CarefulClient(probe.userId, probe.partnerId, probe.conversationId, urls);
    probe.close();
    workload.clients.splice(workload.clients.indexOf(probe), 1, fresh);
    workload.probeSender = fresh;
    probe = fresh;
    await probe.connect(30_000).catch(() => undefined);
  }
  const message = await probe.sendOne(healedAt + DRAIN_MS);
  return {
    message,
    ms: message.outcome === 'ok' && message.settledAt ? message.settledAt - healedAt : undefined,
  };
}

async function storedRows(system: ChaosSystem, users: string[]): Promise<StoredRow[]> {
  const rows = await system.db
    .knex('messages')
    .whereIn('sender_id', users)
    .orderBy([{ column: 'conversation_id' }, { column: 'seq' }])
    .select<
      {
        id: string;
        conversation_id: string;
        seq: string | number;
        sender_id: string;
        receiver_id: string;
        client_message_id: string;
        body: string;
        created_at: Date;
      }[]
    >(
      'id',
      'conversation_id',
      'seq',
      'sender_id',
      'receiver_id',
      'client_message_id',
      'body',
      'created_at',
    );
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    receiverId: row.receiver_id,
    clientMessageId: row.client_message_id,
    body: row.body,
    createdAt: row.created_at,
  }));
}

/** Message ids in the user's Redis offline queue (`offline:<user>` under the namespace). */
async function offlineQueueIds(system: ChaosSystem, userId: string): Promise<Set<string>> {
  const items = await system.redis.redis.lrange(`offline:${userId}`, 0, -1);
  const ids = new Set<string>();
  for (const item of items) {
    const parsed = chatMessageSchema.safeParse(JSON.parse(item));
    if (parsed.success) ids.add(parsed.data.id);
  }
  return ids;
}

/** The design's promise for a PostgreSQL outage: commands held in hand, none handed back. */
function heldNotRequeuedCheck(log: LogLine[], window: FaultWindow): Check {
  const requeued = log.filter(
    (line) =>
      line.msg === 'handler failed, requeueing' &&
      String(line.queue).includes('.chat.send.') &&
      line.time >= window.startedAt,
  );
  return {
    name: 'heldNotRequeued',
    title: 'message-service holds send commands through the outage, none handed back to the broker',
    ok: requeued.length === 0,
    summary: `${requeued.length} send commands handed back to the broker (requeued) after a failed store`,
    examples: requeued.slice(0, 3).map((line) => ({
      queue: line.queue,
      at: new Date(line.time).toISOString(),
      error: String((line.err as { message?: string } | undefined)?.message ?? '').slice(-120),
    })),
  };
}

/** One outcome per command: message-service refuses a command (by correlationId) at most once. */
function refusedOnceCheck(log: LogLine[]): Check {
  const refusals = new Map<string, LogLine[]>();
  for (const line of log) {
    if (line.msg !== 'send refused') continue;
    const id = String(line.correlationId);
    refusals.set(id, [...(refusals.get(id) ?? []), line]);
  }
  const repeated = [...refusals.entries()].filter(([, lines]) => lines.length > 1);
  return {
    name: 'refusedOnce',
    title: 'message-service refuses each send command at most once',
    ok: repeated.length === 0,
    summary: `${repeated.length} of ${refusals.size} refused commands refused more than once (${[...refusals.values()].reduce((n, l) => n + l.length, 0)} refusals logged)`,
    examples: repeated.slice(0, 3).map(([correlationId, lines]) => ({
      correlationId,
      code: lines[0]?.code,
      refusedAt: lines.map((line) => new Date(line.time).toISOString().slice(11, 23)),
    })),
  };
}

export interface LogLine {
  time: number;
  level: number;
  msg?: string;
  [key: string]: unknown;
}

/** The services' JSON log lines written since `since`. */
function readLogLines(logFile: string, since: number): LogLine[] {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (parsed.time >= since) lines.push(parsed);
    } catch {
      // a line cut by a kill
    }
  }
  return lines;
}
