import {
  createLogger,
  createMetricsRegistry,
  listenHttp,
  startOpsServer,
} from '@chat/observability';
import { openBroker, openDb, openRedis, runService } from '@chat/runtime';
import { startHistoryService } from './app';
import { loadHistoryServiceConfig } from './config';

runService('history-service', async (closer) => {
  const config = loadHistoryServiceConfig();
  const logger = createLogger({
    service: 'history-service',
    level: config.logLevel,
    nodeEnv: config.nodeEnv,
  });
  const metrics = createMetricsRegistry('history-service');
  const db = await openDb(closer, config, logger);
  const redis = await openRedis(closer, config, logger);
  const broker = await openBroker(closer, config, 'history-service', logger);
  const service = closer.add(
    await startHistoryService({ config, logger, db, redis, broker, metrics }),
  );
  // Closed first: stop taking requests before the relay, broker, Redis and db go.
  const server = closer.add(
    await listenHttp(service.app, { port: config.port, host: config.host }),
  );
  server.server.on('error', (error) => logger.error({ err: error }, 'http server error'));
  logger.info({ port: server.port, host: config.host }, 'history-service listening');
  closer.add(
    await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      readiness: () => service.readiness(),
      metrics,
      logger,
    }),
  );
  return { logger, shutdownTimeoutMs: config.shutdownTimeoutMs };
});
