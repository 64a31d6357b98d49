import { createLogger, createMetricsRegistry, startOpsServer } from '@chat/observability';
import { openBroker, openDb, runService } from '@chat/runtime';
import { startMessageService } from './app';
import { loadMessageServiceConfig } from './config';
import { startHealthServer } from './entry-points/http/health-server';

runService('message-service', async (closer) => {
  const config = loadMessageServiceConfig();
  const logger = createLogger({
    service: 'message-service',
    level: config.logLevel,
    nodeEnv: config.nodeEnv,
  });
  const metrics = createMetricsRegistry('message-service');
  const db = await openDb(closer, config, logger);
  const broker = await openBroker(closer, config, 'message-service', logger);
  const service = closer.add(await startMessageService({ config, logger, db, broker, metrics }));
  const readiness = () => service.readiness();
  closer.add(
    await startHealthServer({
      port: config.healthPort,
      host: config.healthHost,
      readiness,
      metrics,
      opsToken: config.opsToken,
      logger,
    }),
  );
  closer.add(
    await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      readiness,
      metrics,
      logger,
    }),
  );
  return { logger, shutdownTimeoutMs: config.shutdownTimeoutMs };
});
