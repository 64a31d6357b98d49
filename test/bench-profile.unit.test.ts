import { spawn } from 'node:child_process';
import { parseBenchOptions } from '../bench/options';
import { descendantsOf, rssMb } from '../bench/proc-stat';

// The bench's cluster profile: which scenarios it runs, and the "chat" processes it measures
// (the cluster and everything below it, found anew in /proc).

describe('bench --profile', () => {
  it('runs the services in the bench process unless told otherwise', () => {
    const options = parseBenchOptions([], {});
    expect(options).toMatchObject({
      profile: 'in-process',
      only: expect.arrayContaining(['idle']),
    });
  });

  it('runs only the sweep against the cluster, and refuses the in-process scenarios', () => {
    expect(parseBenchOptions(['--profile', 'cluster'], {})).toMatchObject({
      profile: 'cluster',
      only: ['sweep'],
    });
    expect(parseBenchOptions([], { BENCH_PROFILE: 'cluster', BENCH_ONLY: 'sweep' })).toMatchObject({
      profile: 'cluster',
      only: ['sweep'],
    });
    expect(() => parseBenchOptions(['--profile', 'cluster', '--only', 'sweep,idle'], {})).toThrow(
      /--only idle cannot run with --profile cluster/,
    );
    expect(() => parseBenchOptions(['--profile', 'docker'], {})).toThrow(
      /unknown profile "docker"/,
    );
  });
});

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('descendantsOf', () => {
  it('finds children and grandchildren, and not the process itself', async () => {
    // sh → sleep: a child with a child of its own.
    const shell = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    let found: number[] = [];
    try {
      for (let attempt = 0; attempt < 100 && found.length < 1; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        found = descendantsOf(shell.pid!);
      }
      expect(found).toHaveLength(1);
      expect(descendantsOf(process.pid)).toEqual(expect.arrayContaining([shell.pid, found[0]]));
      expect(descendantsOf(process.pid)).not.toContain(process.pid);
      expect(rssMb([shell.pid!, found[0]!])).toBeGreaterThan(0);
    } finally {
      for (const pid of found) process.kill(pid, 'SIGKILL');
      shell.kill('SIGKILL');
    }
  });
});
