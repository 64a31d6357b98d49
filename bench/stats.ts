import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Nearest-rank percentiles of millisecond samples, rounded to 0.01 ms. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { count: 0, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    min: round(sorted[0]!),
    mean: round(sum / sorted.length),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1]!),
  };
}

export const now = () => performance.now();
export const perSecond = (count: number, ms: number) =>
  ms > 0 ? round((count * 1000) / ms, 1) : 0;

export interface MemorySnapshot {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

let gc: (() => void) | undefined;

/**
 * A full collection before each snapshot makes "heap used" mean live objects, not garbage not
 * yet collected. --expose-gc would have to be on the command line; this turns it on from here.
 */
function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** RSS and heap after a full garbage collection. */
export async function memorySnapshot(): Promise<MemorySnapshot> {
  collectGarbage();
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  const usage = process.memoryUsage();
  return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external) };
}

export const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024, 1);

export interface ProcessLoad {
  /** CPU time of this process (all threads) per wall-clock time; 100 = one core busy. */
  cpuPercent: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** Watches this process's CPU and event-loop delay until the returned function is called. */
export function watchProcessLoad(): () => ProcessLoad {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const startCpu = process.cpuUsage();
  const startedAt = now();
  return () => {
    histogram.disable();
    const cpu = process.cpuUsage(startCpu);
    const wallMs = now() - startedAt;
    const ms = (ns: number) => round(ns / 1e6);
    return {
      cpuPercent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 0),
      eventLoopDelayMs: {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
      },
    };
  };
}
