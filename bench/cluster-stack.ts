import { join } from 'node:path';
import { createDb } from '@chat/db';
import type { Logger } from '@chat/observability';
import { spawnChild, stopChildren, waitUntilAnswering } from '../scripts/cluster/child-process';
import { loadClusterConfig } from '../scripts/cluster/cluster-plan';
import { openRunRedis, prepareBenchRun } from './bench-run';
import type { Cleanup } from './cleanup';
import { freePortRange } from './free-ports';
import { descendantsOf } from './proc-stat';
import type { BenchStack } from './stack';

/** The gateway, then the cluster's five service processes from CLUSTER_FIRST_PORT on. */
const CLUSTER_PORTS = 6;
/** Starting five Node processes that compile TypeScript on the way takes a while on 2 cores. */
const START_TIMEOUT_MS = 120_000;
const root = join(__dirname, '..');

/**
 * `npm run start:cluster` as a child process (two socket-edges, two message-services, one
 * history-service, nginx in front) with the in-process stack's environment: the run's own
 * database (the cluster creates and migrates it), namespace, JWT secret and raised limits, on
 * free ports with any free ops ports. Ready once the gateway answers /healthz; stopped with
 * SIGTERM at clean-up, before the run's database and namespace are removed. The bench keeps a
 * small pool and a Redis client of its own for fixtures and the report.
 */
export async function startClusterStack(
  options: { offlineQueueCap: number; logger: Logger },
  cleanup: Cleanup,
): Promise<BenchStack> {
  const { logger } = options;
  const run = prepareBenchRun(options, cleanup);
  const first = await freePortRange(CLUSTER_PORTS);
  const gatewayPort = first;
  const env: NodeJS.ProcessEnv = {
    ...run.env,
    // The cluster names each edge's node itself; one name from the run's env would be shared.
    EDGE_NODE_ID: undefined,
    CHAT_SERVICE_HOST: '127.0.0.1',
    CHAT_SERVICE_PORT: String(gatewayPort),
    CLUSTER_FIRST_PORT: String(first + 1),
    OPS_PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
  };
  const { shutdownTimeoutMs } = loadClusterConfig(env);
  const cluster = spawnChild({
    name: 'cluster',
    command: process.execPath,
    args: ['--import', 'tsx', join(root, 'scripts', 'start-cluster.ts')],
    env,
    cwd: root,
    logger,
  });
  // The cluster's own deadline for its children is SHUTDOWN_TIMEOUT_MS + 3 s; SIGKILL after it.
  cleanup.defer('cluster', () =>
    stopChildren([cluster], Date.now() + shutdownTimeoutMs + 5000, logger),
  );
  const baseUrl = `http://127.0.0.1:${gatewayPort}`;
  await waitUntilAnswering(cluster, `${baseUrl}/healthz`, START_TIMEOUT_MS);
  // Both message-services start alone with every partition and hand half over at a rebalance
  // ("balanced within about twice" PARTITION_REBALANCE_MS): measured steps start after that.
  await new Promise((resolve) => setTimeout(resolve, 2 * run.configs.message.partitionRebalanceMs));

  const db = createDb({ url: run.databaseUrl, poolMax: 2 }, logger);
  cleanup.defer('PostgreSQL pool', () => db.close());
  const redis = await openRunRedis(run, logger, cleanup);
  return {
    profile: 'cluster',
    namespace: run.namespace,
    database: run.database,
    baseUrl,
    db,
    redis,
    sendAckTimeoutMs: run.configs.edge.sendAckTimeoutMs,
    settings: {
      ...run.settings,
      profile: 'cluster (2 socket-edges, 2 message-services, 1 history-service, nginx)',
    },
    chatPids: () => [cluster.pid, ...descendantsOf(cluster.pid)],
    // 127.1.x.y: the whole 127/8 is loopback on Linux; .0 and .255 left out.
    clientAddress: (index) => `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`,
  };
}
