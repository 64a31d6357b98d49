import { parseArgs } from 'node:util';
import type { BenchProfile } from './stack';

export const SCENARIOS = ['throughput', 'offline', 'history', 'idle', 'sweep'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export const PROFILES: readonly BenchProfile[] = ['in-process', 'cluster'];
/** The scenarios the cluster profile runs: the others read the in-process services themselves. */
const CLUSTER_SCENARIOS: readonly ScenarioName[] = ['sweep'];

export interface BenchOptions {
  /** Sender/receiver pairs of the throughput and sweep scenarios; default 50 (quick 4). */
  pairs: number;
  /** Messages each sender sends; default 200 (quick 25). */
  messages: number;
  /** Unacknowledged sends one sender keeps in flight; default 10. 1 = strict request/response. */
  inflight: number;
  /** Messages that wait for the offline receiver; default 500 (quick 100). */
  offline: number;
  /** Times the offline receiver connects and gets the whole queue; default 5 (quick 3). */
  drainRounds: number;
  /** GET /chat/messages requests; default 500 (quick 100). */
  historyRequests: number;
  /** Requests in flight at once; default 10. */
  historyConcurrency: number;
  /** Idle sockets connected for the memory scenario; default 1000 (quick 200). */
  idleSockets: number;
  /** Seconds each offered rate of the sweep lasts; default 10 (quick 3). */
  stepSec: number;
  /** Seconds of the sweep's overload step; default 20 (quick 5). */
  overloadSec: number;
  /** Offered rates of the sweep in messages/s, in order; default 250 … 8000 (quick 100,200). */
  rates: number[];
  /** Scenarios to run; default all (with the cluster profile: the sweep). */
  only: ScenarioName[];
  /** Where the services run: in the bench's process (default) or as npm run start:cluster. */
  profile: BenchProfile;
  quick: boolean;
}

const DEFAULTS = {
  pairs: 50,
  messages: 200,
  inflight: 10,
  offline: 500,
  drainRounds: 5,
  historyRequests: 500,
  historyConcurrency: 10,
  idleSockets: 1000,
  stepSec: 10,
  overloadSec: 20,
};
const QUICK: typeof DEFAULTS = {
  ...DEFAULTS,
  pairs: 4,
  messages: 25,
  offline: 100,
  drainRounds: 3,
  historyRequests: 100,
  idleSockets: 200,
  stepSec: 3,
  overloadSec: 5,
};
const RATES = { env: 'BENCH_RATES', max: 100_000 };
const DEFAULT_RATES = [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000];
const QUICK_RATES = [100, 200];

/** Each numeric option: its flag, the env variable that may set it instead, and its upper bound. */
const NUMERIC: Record<keyof typeof DEFAULTS, { flag: string; env: string; max: number }> = {
  pairs: { flag: 'pairs', env: 'BENCH_PAIRS', max: 500 },
  messages: { flag: 'messages', env: 'BENCH_MESSAGES', max: 10_000 },
  inflight: { flag: 'inflight', env: 'BENCH_INFLIGHT', max: 1000 },
  offline: { flag: 'offline', env: 'BENCH_OFFLINE', max: 50_000 },
  drainRounds: { flag: 'drain-rounds', env: 'BENCH_DRAIN_ROUNDS', max: 100 },
  historyRequests: { flag: 'history-requests', env: 'BENCH_HISTORY_REQUESTS', max: 100_000 },
  historyConcurrency: { flag: 'history-concurrency', env: 'BENCH_HISTORY_CONCURRENCY', max: 500 },
  idleSockets: { flag: 'idle-sockets', env: 'BENCH_IDLE_SOCKETS', max: 20_000 },
  stepSec: { flag: 'step-sec', env: 'BENCH_STEP_SEC', max: 600 },
  overloadSec: { flag: 'overload-sec', env: 'BENCH_OVERLOAD_SEC', max: 600 },
};

export const USAGE = `Usage: npm run bench -- [--quick] [--only ${SCENARIOS.join(',')}]
  --profile ${PROFILES.join('|')} (BENCH_PROFILE, default in-process; cluster: the services as
    npm run start:cluster, two edges and two message-services behind nginx; --only ${CLUSTER_SCENARIOS.join(',')})
  --rates A,B,… (${RATES.env}, messages/s of the sweep's steps, default ${DEFAULT_RATES.join(',')})
  ${Object.entries(NUMERIC)
    .map(
      ([key, { flag, env }]) =>
        `--${flag} N (${env}, default ${DEFAULTS[key as keyof typeof DEFAULTS]})`,
    )
    .join('\n  ')}
Services: DATABASE_URL (server only; the bench creates its own database), REDIS_URL, RABBITMQ_URL.`;

export function parseBenchOptions(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions | 'help' {
  const flags = Object.fromEntries(
    Object.values(NUMERIC).map(({ flag }) => [flag, { type: 'string' as const }]),
  );
  const { values } = parseArgs({
    args: argv,
    options: {
      ...flags,
      quick: { type: 'boolean' },
      only: { type: 'string' },
      rates: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick === true || env.BENCH_QUICK === '1';
  const numbers = { ...(quick ? QUICK : DEFAULTS) };
  for (const [key, { flag, env: name, max }] of Object.entries(NUMERIC)) {
    const raw = (values as Record<string, unknown>)[flag] ?? env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(
        `--${flag} (${name}) must be a whole number from 1 to ${max}, got "${String(raw)}"`,
      );
    }
    numbers[key as keyof typeof DEFAULTS] = value;
  }
  const profile = parseProfile(values.profile ?? env.BENCH_PROFILE);
  return {
    ...numbers,
    rates: parseRates(values.rates ?? env[RATES.env]) ?? (quick ? QUICK_RATES : DEFAULT_RATES),
    only: parseOnly(values.only ?? env.BENCH_ONLY, profile),
    profile,
    quick,
  };
}

function parseProfile(raw: string | undefined): BenchProfile {
  if (!raw) return 'in-process';
  if (!(PROFILES as readonly string[]).includes(raw)) {
    throw new Error(
      `--profile (BENCH_PROFILE): unknown profile "${raw}" (known: ${PROFILES.join(', ')})`,
    );
  }
  return raw as BenchProfile;
}

function parseRates(raw: string | undefined): number[] | undefined {
  if (!raw) return undefined;
  const rates = raw.split(',').map((rate) => Number(rate.trim()));
  for (const rate of rates) {
    if (!Number.isInteger(rate) || rate < 1 || rate > RATES.max) {
      throw new Error(
        `--rates (${RATES.env}) must be whole numbers from 1 to ${RATES.max}, got "${raw}"`,
      );
    }
  }
  return rates;
}

function parseOnly(raw: string | undefined, profile: BenchProfile): ScenarioName[] {
  const runnable = profile === 'cluster' ? CLUSTER_SCENARIOS : SCENARIOS;
  if (!raw) return [...runnable];
  const names = raw.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    }
    if (!runnable.includes(name as ScenarioName)) {
      throw new Error(
        `--only ${name} cannot run with --profile ${profile}: it reads the services in the bench's ` +
          `process, and the cluster runs them in child processes (with the cluster: --only ${runnable.join(',')})`,
      );
    }
  }
  return names as ScenarioName[];
}
