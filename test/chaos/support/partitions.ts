import { metricValue } from '@chat/testing';
import type { ChaosSystem, MessageServiceName } from './chaos-system';

/**
 * The send partitions a message-service instance says it consumes: chat_send_partitions_held
 * on its ops server's /metrics (`opsUrl`, e.g. `http://127.0.0.1:3007`).
 */
export async function partitionsHeldAt(opsUrl: string): Promise<number> {
  const response = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${opsUrl}/metrics answered ${response.status}`);
  return metricValue(await response.text(), 'chat_send_partitions_held');
}

/** Each named instance's chat_send_partitions_held, in the order given. */
export function partitionsHeld(
  system: ChaosSystem,
  names: readonly MessageServiceName[],
): Promise<number[]> {
  return Promise.all(names.map((name) => partitionsHeldAt(system.opsUrl(name))));
}

/**
 * Polls the instances' gauges until `done(held)` is true; resolves with the time it first was
 * and what they held then, or with `timedOut` and the last reading after `timeoutMs`.
 */
export async function waitForPartitions(
  read: () => Promise<number[]>,
  done: (held: number[]) => boolean,
  timeoutMs: number,
): Promise<{ at: number; held: number[]; timedOut: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = await read();
    const at = Date.now();
    if (done(held)) return { at, held, timedOut: false };
    if (at > deadline) return { at, held, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until every message-service instance of the system consumes send partitions and they
 * hold each partition between them (a kill of one proves nothing before that).
 */
export async function waitUntilPartitionsShared(
  system: ChaosSystem,
  timeoutMs = 60_000,
): Promise<void> {
  const shared = await waitForPartitions(
    () => partitionsHeld(system, system.messageServices),
    (held) => held.every((n) => n > 0) && held.reduce((sum, n) => sum + n, 0) === system.partitions,
    timeoutMs,
  );
  if (shared.timedOut) {
    throw new Error(
      `${system.messageServices.join(', ')} did not share the ${system.partitions} send partitions within ${timeoutMs} ms: they held ${shared.held.join(', ')}`,
    );
  }
}
