import { createServer } from 'node:http';
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
import { startSocketEdge } from './app';
import { loadSocketEdgeConfig } from './config';

async function main(): Promise<void> {
  const config = loadSocketEdgeConfig();
  const logger = createLogger({ service: 'socket-edge', level: config.logLevel });
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
      await connectBroker(
        { url: config.rabbitmqUrl, connectionName: `socket-edge:${config.nodeId}` },
        logger,
      ),
    );
    const httpServer = createServer();
    closer.add(await startSocketEdge({ config, logger, httpServer, db, redis, broker }));
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, resolve);
    });
    logger.info({ port: config.port }, 'socket-edge listening');
  } catch (error) {
    await closer.close();
    throw error;
  }
  installShutdown(closer, logger, config.shutdownTimeoutMs);
}

main().catch(exitOnStartupError('socket-edge'));
