import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time and memory of the processes the sweep loads, read from /proc (Linux only; elsewhere
 * every figure is 0). The services' own processes (RabbitMQ, PostgreSQL, Redis) belong to other
 * users, which is why this reads /proc rather than asking the processes.
 */

/**
 * Who is measured: the chat services (the bench process, or with the cluster profile the
 * cluster's processes and nginx), the servers and the load generator.
 */
export const CPU_GROUPS = ['chat', 'rabbitmq', 'postgres', 'redis', 'generator'] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];
/** The server side: what the system under test spends; the generator is the client. */
export const SERVER_GROUPS: readonly CpuGroup[] = ['chat', 'rabbitmq', 'postgres', 'redis'];

/** A process's name as `comm` shows it (at most 15 characters) and the group it is counted in. */
const BY_COMM: Record<string, CpuGroup> = {
  'beam.smp': 'rabbitmq',
  postgres: 'postgres',
  'redis-server': 'redis',
};

/** CPU ticks (user + system) of each process of each group, keyed by pid and start time. */
export type CpuSnapshot = Record<CpuGroup, Map<string, number>>;

let ticksPerSecond: number | undefined;

/** CLK_TCK: the unit of /proc/<pid>/stat's times; 100 on practically every Linux. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone since the directory was listed, or not Linux
  }
};

/**
 * utime + stime of one process (all its threads), and its start time, which together with the
 * pid tells a process from a later one that reuses the pid.
 */
function readCpu(pid: number): { key: string; ticks: number } | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Field 2 is the command in parentheses and may contain spaces and ')': split after the last.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime, stime and starttime are fields 14, 15 and 22.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { key: `${pid}@${fields[19]}`, ticks: utime + stime };
}

/**
 * A PostgreSQL backend names its database in its title (`postgres: 15/main: user db
 * 127.0.0.1(5432) idle`); one serving another database (another test run on the same server)
 * is not the bench's work. Background processes (WAL writer, checkpointer, …) serve every
 * database and count.
 */
function otherDatabase(pid: string, database: string): boolean {
  const title = readText(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ') ?? '';
  const backend = /\s(\S+)\s+(?:\S+\(\d+\)|\[local\])(?:\s|$)/.exec(title);
  return backend !== null && backend[1] !== database;
}

/**
 * Every measured process's CPU ticks now. The servers' pids are looked up again each time:
 * PostgreSQL starts and ends backends, and a process found later counts from its start.
 * `database` leaves out the PostgreSQL backends of other databases; `chatPids` are the
 * processes running the chat services at this moment.
 */
export function cpuSnapshot(
  generatorPid: number | undefined,
  database: string,
  chatPids: readonly number[] = [process.pid],
): CpuSnapshot {
  const snapshot = Object.fromEntries(
    CPU_GROUPS.map((group) => [group, new Map<string, number>()]),
  ) as CpuSnapshot;
  const add = (group: CpuGroup, pid: number) => {
    const cpu = readCpu(pid);
    if (cpu) snapshot[group].set(cpu.key, cpu.ticks);
  };
  for (const pid of chatPids) add('chat', pid);
  if (generatorPid !== undefined) add('generator', generatorPid);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return snapshot;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const group = BY_COMM[readText(`/proc/${entry}/comm`)?.trim() ?? ''];
    if (group === 'postgres' && otherDatabase(entry, database)) continue;
    if (group) add(group, Number(entry));
  }
  return snapshot;
}

/**
 * CPU milliseconds each group used between two snapshots. A process that ended in between is
 * missing from `end` and its share is not counted (PostgreSQL backends of the bench's pool
 * stay for the whole run, so this is rare).
 */
export function cpuMsBetween(start: CpuSnapshot, end: CpuSnapshot): Record<CpuGroup, number> {
  const msPerTick = 1000 / clockTicks();
  const used = {} as Record<CpuGroup, number>;
  for (const group of CPU_GROUPS) {
    let ticks = 0;
    for (const [key, value] of end[group]) ticks += value - (start[group].get(key) ?? 0);
    used[group] = ticks * msPerTick;
  }
  return used;
}

/**
 * Resident set size of processes in MB (the sum of VmRSS of /proc/<pid>/status), 0 if unknown.
 * Shared pages (Node's code in five processes) count once per process: an upper bound.
 */
export function rssMb(pids: readonly number[] = [process.pid]): number {
  let kb = 0;
  for (const pid of pids) {
    kb += Number(/VmRSS:\s+(\d+)\s+kB/.exec(readText(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
  }
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * Every live process below `rootPid` (children, their children, …), from the parent pid in
 * each /proc/<pid>/stat. Read anew at each snapshot: a process started in between counts from
 * its start, like a new PostgreSQL backend.
 */
export function descendantsOf(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (!stat) continue;
    // After the command in parentheses: state, then the parent pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = children.get(parent) ?? [];
    siblings.push(Number(entry));
    children.set(parent, siblings);
  }
  const found: number[] = [];
  const pending = [...(children.get(rootPid) ?? [])];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    found.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return found;
}
