import { readFileSync } from 'node:fs';
import { chatMessageSchema } from '@chat/contracts';
import type { ChaosSystem } from './chaos-system';
import type { Check, StoredRow } from './checks';
import type { FaultWindow } from './faults';

/** What PostgreSQL, Redis and the services' log say, read after a scenario. */
export async function storedRows(system: ChaosSystem, users: string[]): Promise<StoredRow[]> {
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
export async function offlineQueueIds(system: ChaosSystem, userId: string): Promise<Set<string>> {
  const items = await system.redis.redis.lrange(`offline:${userId}`, 0, -1);
  const ids = new Set<string>();
  for (const item of items) {
    const parsed = chatMessageSchema.safeParse(JSON.parse(item));
    if (parsed.success) ids.add(parsed.data.id);
  }
  return ids;
}

/** The design's promise for a PostgreSQL outage: commands held in hand, none handed back. */
export function heldNotRequeuedCheck(log: LogLine[], window: FaultWindow): Check {
  const after = log.filter((line) => line.time >= window.startedAt);
  const held = after.filter(
    (line) => line.msg === 'database unavailable, holding the batch and trying again',
  );
  const requeued = after.filter(
    (line) =>
      line.msg === 'handler failed, requeueing' && String(line.queue).includes('.chat.send.'),
  );
  return {
    name: 'heldNotRequeued',
    title: 'message-service holds send commands through the outage, none handed back to the broker',
    // A PostgreSQL outage under load fails a store at least once: no hold logged means the
    // log is not what this check reads, and it must not pass for want of lines.
    ok: held.length > 0 && requeued.length === 0,
    summary: `${held.length} held-batch retries logged, ${requeued.length} send commands handed back to the broker (requeued) after a failed store`,
    examples: requeued.slice(0, 3).map((line) => ({
      queue: line.queue,
      at: new Date(line.time).toISOString(),
      error: String((line.err as { message?: string } | undefined)?.message ?? '').slice(-120),
    })),
  };
}

/** One outcome per command: message-service refuses a command (by correlationId) at most once. */
export function refusedOnceCheck(log: LogLine[]): Check {
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
export function readLogLines(logFile: string, since: number): LogLine[] {
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
