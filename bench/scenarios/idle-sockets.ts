import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitUntil } from '../clients';
import type { Cleanup } from '../cleanup';
import type { IdleClientsCommand, IdleClientsReport } from '../idle-clients';
import type { BenchStack } from '../stack';
import { memorySnapshot, perSecond, type MemorySnapshot } from '../stats';

export interface IdleSocketsResult {
  sockets: number;
  connectMs: number;
  connectsPerSec: number;
  serverBefore: MemorySnapshot;
  serverConnected: MemorySnapshot;
  serverAfterDisconnect: MemorySnapshot;
  /** Server process growth per 1000 idle sockets (connected − before). */
  per1000: { rssMb: number; heapUsedMb: number };
  /** The client process holding the sockets (socket.io-client side), for comparison. */
  clientProcess: { rssMb: number; heapUsedMb: number };
}

const CONNECT_CONCURRENCY = 50;
const WARMUP_SOCKETS = 200;

/**
 * N users each connect one socket (from a child process, so the server process holds only the
 * server side) and stay idle; the server process's memory after a full GC is compared before,
 * while connected and after they all left. A smaller round goes first, not counted.
 */
export async function runIdleSockets(
  stack: BenchStack,
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
  const connectAll = async (count: number, label: string) => {
    const report = await ask(child, {
      type: 'connect',
      baseUrl: stack.baseUrl,
      count,
      concurrency: CONNECT_CONCURRENCY,
      label,
    });
    if (report.type !== 'connected') throw new Error(`idle clients: ${describe(report)}`);
    await waitUntil('every idle socket', () => engine.clientsCount >= baseline + count);
    return report;
  };
  const closeAll = async () => {
    const report = await ask(child, { type: 'close' });
    if (report.type !== 'closed') throw new Error(`idle clients: ${describe(report)}`);
    await waitUntil('the idle sockets to leave', () => engine.clientsCount <= baseline, 60_000);
    // The last disconnect clean-ups (presence, unbinding) finish just after the sockets go.
    await new Promise((resolve) => setTimeout(resolve, 500));
  };

  // The first connections compile and cache what every later one reuses (about as much heap as
  // 1000 sockets hold): a warm-up round keeps that one-time cost out of the per-socket figure.
  await connectAll(Math.min(WARMUP_SOCKETS, options.sockets), 'idlew');
  await closeAll();
  const serverBefore = await memorySnapshot();
  const connected = await connectAll(options.sockets, 'idle');
  const serverConnected = await memorySnapshot();
  await closeAll();
  const serverAfterDisconnect = await memorySnapshot();
  child.disconnect();

  const per1000 = (delta: number) => Math.round(((delta * 1000) / options.sockets) * 10) / 10;
  return {
    sockets: options.sockets,
    connectMs: connected.ms,
    connectsPerSec: perSecond(options.sockets, connected.ms),
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

/** Sends a command and resolves with the child's next report (or its exit). */
function ask(child: ChildProcess, command: IdleClientsCommand): Promise<IdleClientsReport> {
  return new Promise((resolve) => {
    const onMessage = (report: IdleClientsReport) => {
      child.off('exit', onExit);
      resolve(report);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      resolve({ type: 'failed', message: `exited with ${code}` });
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(command);
  });
}

const describe = (report: IdleClientsReport) =>
  report.type === 'failed' ? report.message : `unexpected ${report.type}`;
