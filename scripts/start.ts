// npm start: creates and migrates the database, then runs socket-edge, message-service and
// history-service in this one process, with Socket.IO (/socket.io) and REST (/chat/...) on one
// port, CHAT_SERVICE_PORT (3006) — the spec's single base URL. Defaults point at the local
// PostgreSQL, Redis and RabbitMQ. One metrics registry collects all three services' metrics;
// the internal ops server (OPS_HOST:OPS_PORT, 127.0.0.1:3007) serves it at /metrics, with each
// service's readiness in detail at /readyz. SIGTERM / SIGINT stop it cleanly. package.json runs
// it as `exec node …`: npm's shell (dash on Debian) would otherwise stand between npm and node,
// die of the signal npm passes on, and npm would exit 143 while the services still drain.
import { createServer } from 'node:http';
import { ConfigError, loadConfig, opsEnv, sharedEnv } from '@chat/config';
import { ensureDatabaseExists, migrateLatest } from '@chat/db';
import {
  combineReadiness,
  createLogger,
  createMetricsRegistry,
  listen,
  startOpsServer,
} from '@chat/observability';
import { openBroker, openDb, openRedis, runService } from '@chat/runtime';
import { startHistoryService } from '../services/history-service/src/app';
import { loadHistoryServiceConfig } from '../services/history-service/src/config';
import { startMessageService } from '../services/message-service/src/app';
import { loadMessageServiceConfig } from '../services/message-service/src/config';
import { startHealthServer } from '../services/message-service/src/entry-points/http/health-server';
import { startSocketEdge } from '../services/socket-edge/src/app';
import { loadSocketEdgeConfig } from '../services/socket-edge/src/config';
import { createEdgeReadiness } from '../services/socket-edge/src/entry-points/http/http-endpoints';
import { buildDemoPageBundle } from './support/demo-page-bundle';
import { applyDevelopmentSecret, warnOfDevelopmentSecret } from './support/development-secret';
import { assertPortsFree } from './support/ports-free';
import { stopWhenOrphaned } from './support/stop-when-orphaned';

runService('tutorgo-chat', async (closer) => {
  const usesDevSecret = applyDevelopmentSecret(process.env);
  const [common, edgeConfig, messageConfig, historyConfig] = loadEveryConfig([
    () =>
      loadConfig({
        nodeEnv: sharedEnv.nodeEnv,
        logLevel: sharedEnv.logLevel,
        chatServicePort: sharedEnv.chatServicePort,
        chatServiceHost: sharedEnv.chatServiceHost,
        shutdownTimeoutMs: sharedEnv.shutdownTimeoutMs,
        ...opsEnv,
      }),
    () => loadSocketEdgeConfig(),
    () => loadMessageServiceConfig(),
    () => loadHistoryServiceConfig(),
  ] as const);
  await assertPortsFree([
    { env: 'CHAT_SERVICE_PORT', port: common.chatServicePort, host: common.chatServiceHost },
    {
      env: 'MESSAGE_SERVICE_HEALTH_PORT',
      port: messageConfig.healthPort,
      host: common.chatServiceHost,
    },
    { env: 'OPS_PORT', port: common.opsPort, host: common.opsHost },
  ]);
  const logger = createLogger({
    service: 'tutorgo-chat',
    level: common.logLevel,
    nodeEnv: common.nodeEnv,
  });
  const metrics = createMetricsRegistry('tutorgo-chat');
  if (usesDevSecret) warnOfDevelopmentSecret(logger, common.chatServiceHost);
  await buildDemoPageBundle(historyConfig, logger);

  if (await ensureDatabaseExists(historyConfig.databaseUrl)) logger.info('created the database');
  const db = await openDb(closer, historyConfig, logger);
  const applied = await migrateLatest(db.knex);
  logger.info(
    { migrations: applied },
    applied.length ? 'migrated' : 'database schema is up to date',
  );
  const redis = await openRedis(closer, edgeConfig, logger);
  const messageBroker = await openBroker(
    closer,
    messageConfig,
    'npm-start:message-service',
    logger,
  );
  const historyBroker = await openBroker(
    closer,
    historyConfig,
    'npm-start:history-service',
    logger,
  );
  const edgeBroker = await openBroker(
    closer,
    edgeConfig,
    `npm-start:socket-edge:${edgeConfig.nodeId}`,
    logger,
  );

  const messages = closer.add(
    await startMessageService({
      config: messageConfig,
      logger,
      db,
      broker: messageBroker,
      metrics,
    }),
  );
  const history = closer.add(
    await startHistoryService({
      config: historyConfig,
      logger,
      db,
      redis,
      broker: historyBroker,
      metrics,
    }),
  );
  // One server: Socket.IO answers /socket.io, the history app everything else.
  const httpServer = createServer(history.app);
  closer.add(
    await startSocketEdge({
      config: edgeConfig,
      logger,
      httpServer,
      db,
      redis,
      broker: edgeBroker,
      metrics,
    }),
  );
  closer.add(
    await startHealthServer({
      port: messageConfig.healthPort,
      host: common.chatServiceHost,
      readiness: () => messages.readiness(),
      metrics,
      opsToken: messageConfig.opsToken,
      logger,
    }),
  );
  // Internal: all three services' metrics and readiness with detail (see OPS_HOST).
  closer.add(
    await startOpsServer({
      host: common.opsHost,
      port: common.opsPort,
      readiness: combineReadiness({
        'socket-edge': createEdgeReadiness({ db, redis, broker: edgeBroker }),
        'message-service': () => messages.readiness(),
        'history-service': () => history.readiness(),
      }),
      metrics,
      logger,
    }),
  );
  await listen(httpServer, { port: common.chatServicePort, host: common.chatServiceHost });
  httpServer.on('error', (error) => logger.error({ err: error }, 'http server error'));
  logger.info(
    {
      url: `http://localhost:${common.chatServicePort}`,
      host: common.chatServiceHost,
      ops: `http://${common.opsHost}:${common.opsPort}`,
    },
    'TutorGo chat is up: Socket.IO at /socket.io, REST at /chat, docs at /chat/docs; metrics and readiness detail on the ops address',
  );
  stopWhenOrphaned(logger);
  return { logger, shutdownTimeoutMs: common.shutdownTimeoutMs };
});

type Loaded<T extends readonly (() => unknown)[]> = { [K in keyof T]: ReturnType<T[K]> };

/** Loads every service's config and reports all invalid variables at once, each once. */
function loadEveryConfig<T extends readonly (() => unknown)[]>(loaders: T): Loaded<T> {
  const problems = new Map<string, { env: string; message: string }>();
  const configs = loaders.map((load) => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.set(problem.env, problem);
      return undefined;
    }
  });
  if (problems.size > 0) throw new ConfigError([...problems.values()]);
  return configs as Loaded<T>;
}
