import { portProblem } from '../scripts/support/ports-free';

const portIsFree = async (port: number) => (await portProblem(port, '127.0.0.1')) === undefined;

/**
 * `count` consecutive ports free on 127.0.0.1 right now, for processes that take a range by
 * its first port (npm run start:cluster's CLUSTER_FIRST_PORT). Free when checked: another
 * process may still take one before ours listens, which then fails to start, loudly.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: count }, (_, index) => first + index);
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}
