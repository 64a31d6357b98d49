import { connectBroker } from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createDb } from '@chat/db';
import {
  createCloser,
  createLogger,
  exitOnStartupError,
  installShutdown,
} from '@chat/observability';
import { createRedis } from '@chat/redis';
import { startHistoryService } from './app';
import { loadHistoryServiceConfig } from './config';
import { listen } from './http/listen';

async function main(): Promise<void> {
  const config = loadHistoryServiceConfig();
  const logger = createLogger({ service: 'history-service', level: config.logLevel });
  const closer = createCloser();
  try {
    const db = closer.add(
      createDb({ url: config.databaseUrl, poolMax: config.databasePoolMax }, logger),
    );
    await db.ping();
    const redis = closer.add(
      createRedis(
        { url: config.redisUrl, keyPrefix: topologyNames(config.namespace).redisKeyPrefix },
        logger,
      ),
    );
    await redis.ping();
    const broker = closer.add(
      await connectBroker({ url: config.rabbitmqUrl, connectionName: 'history-service' }, logger),
    );
    const service = closer.add(await startHistoryService({ config, logger, db, redis, broker }));
    // Closed first: stop taking requests before the relay, broker, Redis and db go.
    const server = closer.add(await listen(service.app, config.port));
    server.server.on('error', (error) => logger.error({ err: error }, 'http server error'));
    logger.info({ port: server.port }, 'history-service listening');
  } catch (error) {
    await closer.close();
    throw error;
  }
  installShutdown(closer, logger, config.shutdownTimeoutMs);
}

main().catch(exitOnStartupError('history-service'));
