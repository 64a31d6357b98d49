import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitUntil } from '../clients';
import { askChild } from '../child-client';
import type { Cleanup } from '../cleanup';
import type { IdleClientsCommand, IdleClientsReport } from '../idle-clients';
import { CPU_GROUPS, cpuMsBetween, cpuSnapshot, type CpuGroup } from '../proc-stat';
import type { InProcessStack } from '../stack';
import { memorySnapshot, now, perSecond, type MemorySnapshot } from '../stats';

export interface IdleSocketsResult {
  sockets: number;
  connectMs: number;
  connectsPerSec: number;
  /** From asking every socket to close until the server finished cleaning up after them. */
  disconnectMs: number;
  /**
   * CPU ms per connect of each process group while the sockets connected (/proc; Linux only):
   * `chat` is this process (the edge), `generator` the client process. The servers' sum is
   * what a connect costs the system; the clients share these cores only on the bench machine.
   */
  cpuMsPerConnect: Record<CpuGroup, number>;
  serverBefore: MemorySnapshot;
  serverConnected: MemorySnapshot;
  serverAfterDisconnect: MemorySnapshot;
  /**
   * The same users once more, all reconnecting as after an edge restart: STORM_CONCURRENCY at
   * a time, so the edge sees the crowd a restart brings rather than 50 polite clients.
   */
  storm: {
    concurrency: number;
    connectMs: number;
    connectsPerSec: number;
    cpuMsPerConnect: Record<CpuGroup, number>;
  };
  /** Server process growth per 1000 idle sockets (connected − before). */
  per1000: { rssMb: number; heapUsedMb: number };
  /** The client process holding the sockets (socket.io-client side), for comparison. */
  clientProcess: { rssMb: number; heapUsedMb: number };
}

const CONNECT_CONCURRENCY = 50;
const STORM_CONCURRENCY = 500;
const WARMUP_SOCKETS = 200;

/**
 * N users each connect one socket (from a child process, so the server process holds only the
 * server side) and stay idle; the server process's memory after a full GC is compared before,
 * while connected and after they all left. A smaller round goes first, not counted.
 */
export async function runIdleSockets(
  stack: InProcessStack,
  options: { sockets: number },
  cleanup: Cleanup,
): Promise<IdleSocketsResult> {
  const engine = stack.edge.io.engine;
  const baseline = engine.clientsCount;
  const child = fork(join(__dirname, '..', 'idle-clients.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanup.defer('idle clients process', async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const connectAll = async (count: number, label: string, concurrency = CONNECT_CONCURRENCY) => {
    const startCpu = cpuSnapshot(child.pid, stack.database);
    const report = await ask(child, {
      type: 'connect',
      baseUrl: stack.baseUrl,
      count,
      concurrency,
      label,
    });
    if (report.type !== 'connected') throw new Error(`idle clients: ${describe(report)}`);
    await waitUntil('every idle socket', () => engine.clientsCount >= baseline + count);
    const used = cpuMsBetween(startCpu, cpuSnapshot(child.pid, stack.database));
    const cpuMsPerConnect = Object.fromEntries(
      CPU_GROUPS.map((group) => [group, Math.round((used[group] / count) * 1000) / 1000]),
    ) as Record<CpuGroup, number>;
    return { ...report, cpuMsPerConnect };
  };
  const closeAll = async () => {
    const report = await ask(child, { type: 'close' });
    if (report.type !== 'closed') throw new Error(`idle clients: ${describe(report)}`);
    const startedAt = now();
    await waitUntil('the idle sockets to leave', () => engine.clientsCount <= baseline, 60_000);
    // Their clean-ups (offline restore, unbinding, presence) finish after the sockets went;
    // until then each still holds its socket, so "after" would measure the backlog.
    await withTimeout(stack.edge.cleanedUp(), 60_000, 'the disconnect clean-ups');
    return Math.round(now() - startedAt);
  };

  // The first connections compile and cache what every later one reuses (about as much heap as
  // 1000 sockets hold): a warm-up round keeps that one-time cost out of the per-socket figure.
  await connectAll(Math.min(WARMUP_SOCKETS, options.sockets), 'idlew');
  await closeAll();
  const serverBefore = await memorySnapshot();
  const connected = await connectAll(options.sockets, 'idle');
  const serverConnected = await memorySnapshot();
  const disconnectMs = await closeAll();
  const serverAfterDisconnect = await memorySnapshot();
  const storm = await connectAll(options.sockets, 'idles', STORM_CONCURRENCY);
  await closeAll();
  child.disconnect();

  const per1000 = (delta: number) => Math.round(((delta * 1000) / options.sockets) * 10) / 10;
  return {
    sockets: options.sockets,
    connectMs: connected.ms,
    connectsPerSec: perSecond(options.sockets, connected.ms),
    disconnectMs,
    cpuMsPerConnect: connected.cpuMsPerConnect,
    storm: {
      concurrency: STORM_CONCURRENCY,
      connectMs: storm.ms,
      connectsPerSec: perSecond(options.sockets, storm.ms),
      cpuMsPerConnect: storm.cpuMsPerConnect,
    },
    serverBefore,
    serverConnected,
    serverAfterDisconnect,
    per1000: {
      rssMb: per1000(serverConnected.rssMb - serverBefore.rssMb),
      heapUsedMb: per1000(serverConnected.heapUsedMb - serverBefore.heapUsedMb),
    },
    clientProcess: { rssMb: connected.rssMb, heapUsedMb: connected.heapUsedMb },
  };
}

const ask = (child: ChildProcess, command: IdleClientsCommand) =>
  askChild<IdleClientsReport>(child, command);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const describe = (report: IdleClientsReport) =>
  report.type === 'failed' ? report.message : `unexpected ${report.type}`;
