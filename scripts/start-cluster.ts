// npm run start:cluster: the scaled-out shape on one machine, without Docker. Creates and
// migrates the database once, then runs two socket-edges, two message-services and one
// history-service as child processes (each its own services/<name>/src/main.ts, with its own
// loopback ports and ops port), behind one nginx gateway on CHAT_SERVICE_HOST:CHAT_SERVICE_PORT
// rendered from the template docker compose uses (deploy/nginx.conf.template). A child that
// dies is logged; the cluster goes on while one of its kind is left (edges, message-services)
// and stops otherwise. SIGTERM / SIGINT stop every child, gateway first.
import { join } from 'node:path';
import { ConfigError } from '@chat/config';
import { createDb, ensureDatabaseExists, migrateLatest } from '@chat/db';
import { createLogger, type Logger } from '@chat/observability';
import { runService } from '@chat/runtime';
import { loadHistoryServiceConfig } from '../services/history-service/src/config';
import { loadMessageServiceConfig } from '../services/message-service/src/config';
import { loadSocketEdgeConfig } from '../services/socket-edge/src/config';
import { spawnChild, stopChildren, waitUntilAnswering, type Child } from './cluster/child-process';
import {
  CHILD_HOST,
  loadClusterConfig,
  planCluster,
  type ClusterProcess,
} from './cluster/cluster-plan';
import { hostPort } from './cluster/gateway-config';
import { startGatewayProcess, type GatewayProcess } from './cluster/gateway-process';
import { buildDemoPageBundle } from './support/demo-page-bundle';
import { applyDevelopmentSecret, warnOfDevelopmentSecret } from './support/development-secret';
import { assertPortsFree } from './support/ports-free';
import { stopWhenOrphaned } from './support/stop-when-orphaned';

const root = join(__dirname, '..');
/** How long a child may take to answer after it was started (tsx compiles on the way). */
const START_TIMEOUT_MS = 60_000;

runService('tutorgo-chat-cluster', async (closer) => {
  const usesDevSecret = applyDevelopmentSecret(process.env);
  const config = loadClusterConfig();
  const plan = planCluster(config);
  assertChildConfigs(plan);
  await assertPortsFree([
    { env: 'CHAT_SERVICE_PORT', port: config.chatServicePort, host: config.chatServiceHost },
    ...plan.flatMap((child) => [
      { env: `CLUSTER_FIRST_PORT (${child.name})`, port: child.port, host: CHILD_HOST },
      { env: `OPS_PORT (${child.name})`, port: child.opsPort, host: config.opsHost },
    ]),
  ]);
  const logger = createLogger({
    service: 'cluster',
    level: config.logLevel,
    nodeEnv: config.nodeEnv,
  });
  if (usesDevSecret) warnOfDevelopmentSecret(logger, config.chatServiceHost);

  await prepareDatabase(config.databaseUrl, logger);
  await buildDemoPageBundle(loadHistoryServiceConfig(), logger);

  const children = new Map<ClusterProcess, Child>();
  const started: { gateway?: GatewayProcess } = {};
  let stopping: Promise<void> | undefined;
  // Gateway first (no new clients), then edges and history-service, then the message-services,
  // which answer the sends the edges still had in flight. One deadline for all of it; each child
  // has SHUTDOWN_TIMEOUT_MS of its own.
  const stopAll = () =>
    (stopping ??= (async () => {
      const deadline = Date.now() + config.shutdownTimeoutMs + 3000;
      const { gateway } = started;
      if (gateway) await stopChildren([gateway], deadline, logger);
      gateway?.removeFiles();
      const of = (roles: string[]) =>
        [...children].filter(([child]) => roles.includes(child.role)).map(([, one]) => one);
      await stopChildren(of(['socket-edge', 'history-service']), deadline, logger);
      await stopChildren(of(['message-service']), deadline, logger);
    })());
  closer.add({ close: stopAll });

  for (const child of plan) {
    const started = spawnChild({
      name: child.name,
      command: process.execPath,
      args: ['--import', 'tsx', child.script],
      env: { ...process.env, ...child.env },
      cwd: root,
      logger,
    });
    children.set(child, started);
    logger.info({ child: child.name, pid: started.pid }, 'started');
  }
  await Promise.all(
    plan.map((child) =>
      waitUntilAnswering(
        children.get(child)!,
        `http://${hostPort(CHILD_HOST, child.port)}/healthz`,
        START_TIMEOUT_MS,
      ),
    ),
  );

  const gateway = (started.gateway = startGatewayProcess({
    host: config.chatServiceHost,
    port: config.chatServicePort,
    edgePorts: plan.filter((child) => child.role === 'socket-edge').map((child) => child.port),
    historyPorts: plan
      .filter((child) => child.role === 'history-service')
      .map((child) => child.port),
    cwd: root,
    logger,
  }));
  logger.info({ child: 'gateway', pid: gateway.pid }, 'started');
  const gatewayUrl = `http://${hostPort(config.chatServiceHost, config.chatServicePort)}`;
  await waitUntilAnswering(gateway, `${gatewayUrl}/healthz`, START_TIMEOUT_MS);

  for (const child of plan) {
    logger.info(
      {
        child: child.name,
        pid: children.get(child)!.pid,
        url: `http://${hostPort(CHILD_HOST, child.port)}`,
        ops: child.opsPort === 0 ? 'a free port (its log says which)' : `port ${child.opsPort}`,
        ...(child.env.EDGE_NODE_ID && { nodeId: child.env.EDGE_NODE_ID }),
      },
      `${child.name} listens`,
    );
  }
  logger.info(
    { url: gatewayUrl, pid: gateway.pid },
    'TutorGo chat cluster is up: Socket.IO at /socket.io (sticky by client address over 2 socket-edges) and REST at /chat through the gateway; /metrics and readiness detail on each process’s ops port',
  );

  watchUnexpectedExits({ plan, children, gateway, logger, stopping: () => stopping, stopAll });
  stopWhenOrphaned(logger);
  return { logger, shutdownTimeoutMs: config.shutdownTimeoutMs + 5000 };
});

/**
 * An edge or message-service that dies is logged and the others carry on: the gateway sends
 * the dead edge's clients to the other edge when they reconnect, and the other message-service
 * takes over its partitions. Without the gateway, history-service or the last of a kind, the
 * cluster cannot serve: it stops every child and exits 1.
 */
function watchUnexpectedExits(deps: {
  plan: ClusterProcess[];
  children: Map<ClusterProcess, Child>;
  gateway: Child;
  logger: Logger;
  stopping: () => Promise<void> | undefined;
  stopAll: () => Promise<void>;
}): void {
  const { plan, children, logger } = deps;
  const onExit =
    (name: string, role: string) =>
    async (exit: { code: number | null; signal: string | null }) => {
      if (deps.stopping()) return;
      const left = plan.filter((child) => child.role === role && children.get(child)!.running());
      const replaceable = role === 'socket-edge' || role === 'message-service';
      if (replaceable && left.length > 0) {
        logger.error(
          { child: name, ...exit, left: left.map((child) => child.name) },
          `${name} exited unexpectedly; the cluster goes on with the other ${role}`,
        );
        return;
      }
      logger.error(
        { child: name, ...exit },
        `${name} exited unexpectedly; the cluster cannot serve without it: stopping`,
      );
      await deps.stopAll();
      process.exit(1);
    };
  for (const child of plan) void children.get(child)!.exited.then(onExit(child.name, child.role));
  void deps.gateway.exited.then(onExit('gateway', 'gateway'));
}

/** Creates the database if it does not exist and migrates it, once, before any child starts. */
async function prepareDatabase(databaseUrl: string, logger: Logger): Promise<void> {
  if (await ensureDatabaseExists(databaseUrl)) logger.info('created the database');
  const db = createDb({ url: databaseUrl, poolMax: 1 }, logger);
  try {
    await db.ping();
    const applied = await migrateLatest(db.knex);
    logger.info(
      { migrations: applied },
      applied.length ? 'migrated' : 'database schema is up to date',
    );
  } finally {
    await db.close();
  }
}

/** Every child's configuration, checked before any starts: all invalid variables at once. */
function assertChildConfigs(plan: ClusterProcess[]): void {
  const loaders = {
    'socket-edge': loadSocketEdgeConfig,
    'message-service': loadMessageServiceConfig,
    'history-service': loadHistoryServiceConfig,
  };
  const problems = new Map<string, { env: string; message: string }>();
  for (const child of plan) {
    try {
      loaders[child.role]({ ...process.env, ...child.env });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.set(problem.env, problem);
    }
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
}
