import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { askChild } from '../child-client';
import type { Cleanup } from '../cleanup';
import { createPairs } from '../fixtures';
import { HOLD, type Segment, type SegmentMeasure, type Window } from '../open-loop';
import {
  CPU_GROUPS,
  cpuMsBetween,
  cpuSnapshot,
  rssMb,
  SERVER_GROUPS,
  type CpuGroup,
} from '../proc-stat';
import type { BenchStack } from '../stack';
import { now } from '../stats';
import type { GeneratorCommand, GeneratorReport } from '../sweep-generator';

export interface SweepStep extends SegmentMeasure {
  holds: boolean;
  /** Why the step does not hold; empty when it does. */
  failedOn: string[];
  /** Every answer and delivery arrived within the wait after the last send. */
  drained: boolean;
  /** CPU used from the step's start until it drained, per delivered message; server = the sum. */
  cpuMsPerMessage: Record<CpuGroup | 'server', number>;
  /** All measured processes' CPU over the step, as a share of every core of the machine. */
  machineBusyPercent: number;
  /** The chat processes (the bench process, or the cluster's) when the step drained. */
  chatRssMb: number;
}

export interface OverloadResult extends SegmentMeasure {
  drained: boolean;
  /** The chat processes before the overload, and their highest sample every 250 ms until drained. */
  chatRssBeforeMb: number;
  chatPeakRssMb: number;
  recovery: Pick<SegmentMeasure, 'sent' | 'ackedOk' | 'refused' | 'lost' | 'windows'> & {
    rate: number;
    durationMs: number;
    /** Seconds from the overload's end to the first healthy 1-second window; null: none. */
    recoveredAfterSec: number | null;
  };
}

export interface SweepResult {
  pairs: number;
  stepSec: number;
  rates: number[];
  steps: SweepStep[];
  /** The highest offered rate of a step that held, 0 if none did. */
  highestHeldRate: number;
  overload: OverloadResult;
}

const WARMUP_MS = 2000;
/** Between steps, so the next one starts on a quiet system. */
const PAUSE_MS = 2000;
const RECOVERY_MS = 15_000;
const RSS_SAMPLE_MS = 250;

/**
 * Open-loop rate sweep: the generator (a child process) offers each rate for `stepSec`,
 * round robin over the pairs, until a step does not hold (see HOLD); then one overload step at
 * 3 × the highest rate that held, followed straight away by a low rate that shows how long the
 * system takes to recover. `log` gets a line per step as it finishes.
 */
export async function runSweep(
  stack: BenchStack,
  options: { pairs: number; rates: number[]; stepSec: number; overloadSec: number },
  cleanup: Cleanup,
  log: (line: string) => void,
): Promise<SweepResult> {
  const pairs = await createPairs(stack.db, 'sw', options.pairs);
  const child = fork(join(__dirname, '..', 'sweep-generator.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanup.defer('sweep generator process', async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // Receiver of pair i is client 2i, its sender 2i + 1.
  const addresses = pairs.map((_, index) => ({
    tutor: stack.clientAddress(2 * index),
    student: stack.clientAddress(2 * index + 1),
  }));
  const connected = await ask(child, {
    type: 'connect',
    baseUrl: stack.baseUrl,
    pairs,
    addresses,
  });
  if (connected.type !== 'connected') throw new Error(`sweep generator: ${describe(connected)}`);
  // Longer than the edge's own ack timeout, so every send has its answer before the wait ends.
  const drainMs = stack.sendAckTimeoutMs + 5000;
  const runPhase = async (tag: string, segments: Segment[]) => {
    const report = await ask(child, { type: 'run', tag, segments, drainMs });
    if (report.type !== 'done') throw new Error(`sweep generator: ${describe(report)}`);
    return report;
  };
  const stepMs = options.stepSec * 1000;
  const chatRssMb = () => rssMb(stack.chatPids());

  // First connections and JIT warm up on an uncounted round at the first rate.
  await runPhase('w', [{ rate: options.rates[0]!, durationMs: Math.min(WARMUP_MS, stepMs) }]);
  await sleep(PAUSE_MS);

  const steps: SweepStep[] = [];
  for (const [index, rate] of options.rates.entries()) {
    const startCpu = cpuSnapshot(child.pid, stack.database, stack.chatPids());
    const startedAt = now();
    const report = await runPhase(`s${index}`, [{ rate, durationMs: stepMs }]);
    const cpuMs = cpuMsBetween(startCpu, cpuSnapshot(child.pid, stack.database, stack.chatPids()));
    const step = judge(report.segments[0]!, report.drained, {
      cpuMs,
      wallMs: now() - startedAt,
      chatRssMb: chatRssMb(),
    });
    steps.push(step);
    log(stepLine(step));
    if (!step.holds) break;
    await sleep(PAUSE_MS);
  }
  const highestHeldRate = Math.max(0, ...steps.filter((s) => s.holds).map((s) => s.offered));

  const overloadRate = 3 * Math.max(highestHeldRate, 250);
  const recoveryRate = Math.max(100, Math.round(highestHeldRate / 4));
  log(
    `overload: ${overloadRate} msg/s for ${options.overloadSec} s, then ${recoveryRate} msg/s for ${RECOVERY_MS / 1000} s …`,
  );
  const chatRssBeforeMb = chatRssMb();
  let chatPeakRssMb = chatRssBeforeMb;
  const sampler = setInterval(() => {
    chatPeakRssMb = Math.max(chatPeakRssMb, chatRssMb());
  }, RSS_SAMPLE_MS);
  let overload: OverloadResult;
  try {
    const report = await runPhase('o', [
      { rate: overloadRate, durationMs: options.overloadSec * 1000 },
      { rate: recoveryRate, durationMs: RECOVERY_MS },
    ]);
    const [measure, recovery] = report.segments as [SegmentMeasure, SegmentMeasure];
    overload = {
      ...measure,
      drained: report.drained,
      chatRssBeforeMb,
      chatPeakRssMb: Math.max(chatPeakRssMb, chatRssMb()),
      recovery: {
        rate: recoveryRate,
        durationMs: RECOVERY_MS,
        sent: recovery.sent,
        ackedOk: recovery.ackedOk,
        refused: recovery.refused,
        lost: recovery.lost,
        recoveredAfterSec: recovery.windows.find(healthy)?.fromSec ?? null,
        windows: recovery.windows,
      },
    };
  } finally {
    clearInterval(sampler);
  }
  child.disconnect();
  for (const line of overloadLines(overload)) log(line);
  log(`highest held rate: ${highestHeldRate} msg/s`);
  return {
    pairs: options.pairs,
    stepSec: options.stepSec,
    rates: options.rates,
    steps,
    highestHeldRate,
    overload,
  };
}

/** A second in which every message was accepted and delivered, p99 within the budget. */
const healthy = (w: Window) =>
  w.messages > 0 && w.failed === 0 && w.p99Ms !== null && w.p99Ms < HOLD.p99Ms;

/** p99 of each second of the recovery; '-' where nothing was delivered. */
export const windowsText = (windows: Window[]) =>
  windows.map((w) => (w.p99Ms === null ? '-' : w.p99Ms)).join(', ');

/** Applies HOLD to a step's measures and adds what the processes spent on it. */
function judge(
  measure: SegmentMeasure,
  drained: boolean,
  spent: { cpuMs: Record<CpuGroup, number>; wallMs: number; chatRssMb: number },
): SweepStep {
  const { cpuMs, wallMs, chatRssMb } = spent;
  const failedOn: string[] = [];
  if (measure.lost > 0) failedOn.push(`${measure.lost} lost`);
  if (measure.achieved < HOLD.achievedShare * measure.offered) {
    failedOn.push(`achieved < ${HOLD.achievedShare * 100} %`);
  }
  if (measure.endToEndMs.p99 >= HOLD.p99Ms) failedOn.push(`p99 ≥ ${HOLD.p99Ms} ms`);
  const perMessage = (ms: number) =>
    measure.delivered > 0 ? Math.round((ms / measure.delivered) * 1000) / 1000 : 0;
  const serverMs = SERVER_GROUPS.reduce((total, group) => total + cpuMs[group], 0);
  const allMs = CPU_GROUPS.reduce((total, group) => total + cpuMs[group], 0);
  return {
    ...measure,
    holds: failedOn.length === 0,
    failedOn,
    drained,
    cpuMsPerMessage: {
      ...(Object.fromEntries(CPU_GROUPS.map((g) => [g, perMessage(cpuMs[g])])) as Record<
        CpuGroup,
        number
      >),
      server: perMessage(serverMs),
    },
    machineBusyPercent: Math.round((allMs / wallMs / cpus().length) * 100),
    chatRssMb,
  };
}

/** `TIMEOUT 12, NO_ACK 3`, or 0. */
export const refusedText = (refused: Record<string, number>) =>
  Object.entries(refused)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ') || '0';

function stepLine(s: SweepStep): string {
  const e = s.endToEndMs;
  const cpu = s.cpuMsPerMessage;
  return (
    `${String(s.offered).padStart(6)} msg/s: achieved ${s.achieved}/s, sent ${s.sent}, ` +
    `ok ${s.ackedOk}, refused ${refusedText(s.refused)}, lost ${s.lost}; ` +
    `new-message p50/p99/max ${e.p50}/${e.p99}/${e.max} ms, ack p99 ${s.ackMs.p99} ms; ` +
    `CPU ms/msg server ${cpu.server} (chat ${cpu.chat}), generator ${cpu.generator}; ` +
    `machine ${s.machineBusyPercent} % busy — ${s.holds ? 'holds' : `does not hold: ${s.failedOn.join(', ')}`}`
  );
}

function overloadLines(o: OverloadResult): string[] {
  const r = o.recovery;
  return [
    `overload ${o.offered} msg/s: sent ${o.sent}, accepted ${o.ackedOk}, refused ${refusedText(o.refused)}, ` +
      `lost ${o.lost}; accepted new-message p99 ${o.acceptedEndToEndMs.p99} ms; ` +
      `chat RSS ${o.chatRssBeforeMb} → peak ${o.chatPeakRssMb} MB`,
    `recovery at ${r.rate} msg/s: sent ${r.sent}, accepted ${r.ackedOk}, refused ${refusedText(r.refused)}, lost ${r.lost}; ` +
      (r.recoveredAfterSec === null
        ? `p99 not back under ${HOLD.p99Ms} ms within ${r.durationMs / 1000} s`
        : `p99 back under ${HOLD.p99Ms} ms ${r.recoveredAfterSec} s after the overload ended`) +
      ` (p99 ms of each second: ${windowsText(r.windows)})`,
  ];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ask = (child: ChildProcess, command: GeneratorCommand) =>
  askChild<GeneratorReport>(child, command);

const describe = (report: GeneratorReport) =>
  report.type === 'failed' ? report.message : `unexpected ${report.type}`;
