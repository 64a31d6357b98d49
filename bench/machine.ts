import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import type { BenchStack } from './stack';

export type MachineInfo = ReturnType<typeof machineInfo> & { services: Record<string, string> };

/** What the numbers were measured on; the load average says how busy the machine already was. */
export function machineInfo() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    freeMemoryGb: Math.round((freemem() / 1024 ** 3) * 10) / 10,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    os: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
  };
}

/** Versions of the servers the bench ran against. */
export async function serviceVersions(stack: BenchStack): Promise<Record<string, string>> {
  const pg = await stack.db.knex.raw<{ rows: { server_version: string }[] }>('show server_version');
  const info = await stack.redis.redis.info('server');
  return {
    PostgreSQL: pg.rows[0]?.server_version ?? 'unknown',
    Redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}
