import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testRunId } from '@chat/testing';
import type { ScenarioReport } from './scenario';

/** Where the reports of this run go, one JSON line each (the chaos reporter prints them). */
export function resultsFile(): string {
  return (
    process.env.CHAT_CHAOS_RESULTS || join(tmpdir(), `tutorgo-chat-chaos-${testRunId()}.jsonl`)
  );
}

/** Appends the report, with its text block and its markdown row, to the run's results file. */
export function recordReport(report: ScenarioReport): void {
  const line = {
    ...report,
    text: formatReport(report),
    header: MARKDOWN_HEADER,
    row: markdownRow(report),
  };
  appendFileSync(resultsFile(), `${JSON.stringify(line)}\n`);
}

const seconds = (ms: number | undefined) =>
  ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

const counts = (record: Record<string, number | string | boolean>) =>
  Object.entries(record)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ') || 'none';

/** A few lines a person reads: load, fault, deliveries, answers, retries, what was logged, the verdicts. */
export function formatReport(report: ScenarioReport): string {
  const f = report.figures;
  const verdicts = report.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}`).join('  ');
  return [
    `${report.name} — ${report.title} [${report.layout}, ${report.startedAt}, load average ${report.loadAverage}]`,
    `  load: ${f.duplexPairs} duplex + ${f.awayPairs} away pairs, ${f.senders} senders; ${f.acked}/${f.messages} messages acked in ${f.streamSec} s (${f.ackedPerSec}/s); ack latency p50 ${f.latencyMs.p50} ms, p99 ${f.latencyMs.p99} ms, max ${f.latencyMs.max} ms`,
    `  fault: ${seconds(f.faultMs)}; ${f.inFlightAtStart} messages in flight at its start, ${f.caughtByFault} caught in all, longest hold ${seconds(f.longestHoldMs)}; ${f.storedDuringFault} stored during the fault; recovery ${seconds(f.recoveryMs)}; ${counts(f.notes)}`,
    `  delivery: live ${f.delivery.live}, queued ${f.delivery.queued}, resync only ${f.delivery.resyncOnly}, undelivered ${f.delivery.undelivered}, handed twice ${f.delivery.duplicates}; socket drops ${f.drops}, resync failures ${f.resyncFailures}, received backwards ${f.receivedBackwards}`,
    `  answers: ${f.answers.emits} emits, ${f.answers.answeredTwice} answered twice, ${f.answers.unansweredSocketClosed} unanswered as their socket closed (${f.answers.crossedClose} crossed a closing socket), ${f.answers.unansweredSocketOpen} unanswered on a live socket`,
    `  re-sends: ${counts(f.retries)}; logged refusals: ${counts(f.log.refusals)}, commands refused again ${f.log.commandsRefusedAgain}, held-batch retries ${f.log.heldBatchRetries}, requeues ${f.log.requeues}, parkings ${f.log.parkings}, error lines ${f.log.errors}`,
    `  parked ${f.parked}, left in send queues ${f.leftInSendQueues}${report.stalls.length ? `; stalls: ${report.stalls.join('; ')}` : ''}`,
    `  checks: ${verdicts}`,
    ...report.checks.filter((c) => !c.ok).map((c) => `    ✗ ${c.title}: ${c.summary}`),
    `  services' log: ${report.logFile}`,
  ].join('\n');
}

export const MARKDOWN_HEADER = [
  '| Scenario | Load (pairs, acked msg/s) | Fault | Caught / longest hold | Recovery | Lost | Order | Undelivered (live / queued / resync) | Handed twice | Answers (twice / none) | Re-sends | Parked | Failed checks |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
].join('\n');

export function markdownRow(report: ScenarioReport): string {
  const f = report.figures;
  const check = (name: string) => report.checks.find((c) => c.name === name);
  const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
  const none = f.answers.unansweredSocketClosed + f.answers.unansweredSocketOpen;
  return `| ${report.name} | ${f.duplexPairs}+${f.awayPairs}, ${f.ackedPerSec}/s (${f.acked} acked) | ${seconds(f.faultMs)} | ${f.caughtByFault} / ${seconds(f.longestHoldMs)} | ${seconds(f.recoveryMs)} | ${check('lost')?.ok ? 0 : check('lost')?.summary} | ${check('order')?.ok ? 'kept' : 'broken'} | ${f.delivery.undelivered} (${f.delivery.live} / ${f.delivery.queued} / ${f.delivery.resyncOnly}) | ${f.delivery.duplicates} | ${f.answers.answeredTwice} / ${none} | ${counts(f.retries)} | ${f.parked} | ${failed.join(', ') || 'none'} |`;
}
