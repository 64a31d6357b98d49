// npm run bench: throughput, latency and memory of the real system (socket-edge, message-service
// and history-service in this process, or with --profile cluster as npm run start:cluster, on
// the real PostgreSQL, Redis and RabbitMQ), in a database and namespace of its own that are
// removed afterwards, also after a failure or Ctrl-C.
import { join } from 'node:path';
import { createLogger } from '@chat/observability';
import { closeAllSockets } from './clients';
import { createCleanup } from './cleanup';
import { parseBenchOptions, USAGE, type BenchOptions } from './options';
import { machineInfo, serviceVersions } from './machine';
import { renderText, writeReport, type BenchReport } from './report';
import { runHistory } from './scenarios/history';
import { runIdleSockets } from './scenarios/idle-sockets';
import { runOfflineDrain } from './scenarios/offline-drain';
import { runSweep } from './scenarios/sweep';
import { runThroughput } from './scenarios/throughput';
import { startClusterStack } from './cluster-stack';
import { startBenchStack, type BenchStack } from './stack';
import { memorySnapshot, now, peakRssMb } from './stats';

const cleanup = createCleanup();

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const startedAt = new Date();
  const started = now();
  const logger = createLogger({
    service: 'bench',
    level: (process.env.BENCH_LOG_LEVEL as 'warn' | undefined) ?? 'warn',
  });
  const host = machineInfo();
  const run = options.only;
  console.log(
    `TutorGo chat benchmark${options.quick ? ' (quick)' : ''}, ${options.profile}: ${run.join(', ')}`,
  );

  const stackOptions = { offlineQueueCap: Math.max(500, options.offline), logger };
  // Only the sweep runs against the cluster (options refuse the rest): the others need inProcess.
  const inProcess =
    options.profile === 'in-process' ? await startBenchStack(stackOptions, cleanup) : undefined;
  const stack: BenchStack = inProcess ?? (await startClusterStack(stackOptions, cleanup));
  console.log(`namespace ${stack.namespace}, database ${stack.database}, ${stack.baseUrl}`);
  const services = await serviceVersions(stack);
  const start = await memorySnapshot();
  const results: Partial<BenchReport['results']> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    process.stdout.write(`- ${name} … `);
    const begun = now();
    const result = await work();
    console.log(`${((now() - begun) / 1000).toFixed(1)} s`);
    return result;
  };

  // Idle sockets first: its memory baseline is cleanest before the other scenarios churn the heap.
  if (inProcess && run.includes('idle')) {
    results.idleSockets = await step('idle sockets', () =>
      runIdleSockets(inProcess, { sockets: options.idleSockets }, cleanup),
    );
  }
  if (run.includes('throughput')) {
    results.throughput = await step('throughput', () =>
      runThroughput(stack, {
        pairs: options.pairs,
        messages: options.messages,
        inflight: options.inflight,
      }),
    );
  }
  if (run.includes('offline')) {
    results.offlineDrain = await step('offline drain', () =>
      runOfflineDrain(stack, {
        messages: options.offline,
        rounds: options.drainRounds,
        inflight: options.inflight,
      }),
    );
  }
  if (run.includes('history')) {
    results.history = await step('history REST', () =>
      runHistory(stack, {
        requests: options.historyRequests,
        concurrency: options.historyConcurrency,
      }),
    );
  }

  // Last: its overload step leaves a backlog in RabbitMQ that would slow whatever came next.
  if (run.includes('sweep')) {
    console.log('- sweep (open loop, one line per offered rate)');
    results.sweep = await runSweep(
      stack,
      {
        pairs: options.pairs,
        rates: options.rates,
        stepSec: options.stepSec,
        overloadSec: options.overloadSec,
      },
      cleanup,
      (line) => console.log(`  ${line}`),
    );
  }

  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    durationSec: Math.round((now() - started) / 100) / 10,
    machine: { ...host, services },
    parameters: { ...options, settings: stack.settings },
    results: { ...results, memory: { start, end: await memorySnapshot(), peakRssMb: peakRssMb() } },
  };
  console.log(renderText(report));
  const files = await writeReport(report, join(__dirname, 'results'));
  console.log(`\nreport: ${files.join(', ')}`);
  // The answer a sweep is run for, last, where `| tail -1` finds it.
  if (results.sweep) console.log(`highest held rate: ${results.sweep.highestHeldRate} msg/s`);
}

async function tearDown(): Promise<void> {
  closeAllSockets();
  const failed = await cleanup.run();
  for (const problem of failed) console.error(`clean-up: ${problem}`);
  if (failed.length > 0) process.exitCode ||= 1;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping and cleaning up…`);
    void tearDown().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    if (interrupted) return;
    console.error(`\nbench failed: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .then(tearDown)
  .then(() => {
    // Anything still holding the event loop (a stray timer) must not keep the bench alive.
    if (!interrupted) setTimeout(() => process.exit(), 1000).unref();
  });
