import { createServer } from 'node:http';
import { createLogger, createMetricsRegistry, listen, startOpsServer } from '@chat/observability';
import { openBroker, openDb, openRedis, runService } from '@chat/runtime';
import { startSocketEdge } from './app';
import { loadSocketEdgeConfig } from './config';
import { createEdgeHttpEndpoints, createEdgeReadiness } from './entry-points/http/http-endpoints';

runService('socket-edge', async (closer) => {
  const config = loadSocketEdgeConfig();
  const logger = createLogger({
    service: 'socket-edge',
    level: config.logLevel,
    nodeEnv: config.nodeEnv,
  });
  const metrics = createMetricsRegistry('socket-edge');
  const db = await openDb(closer, config, logger);
  const redis = await openRedis(closer, config, logger);
  const broker = await openBroker(closer, config, `socket-edge:${config.nodeId}`, logger);
  // /healthz, a bare /readyz and token-only /metrics; Socket.IO takes /socket.io once it attaches.
  const httpServer = createServer(
    createEdgeHttpEndpoints({ db, redis, broker, metrics, opsToken: config.opsToken, logger }),
  );
  // Closing the edge closes Socket.IO and with it the HTTP server.
  closer.add(await startSocketEdge({ config, logger, httpServer, db, redis, broker, metrics }));
  await listen(httpServer, { port: config.port, host: config.host });
  httpServer.on('error', (error) => logger.error({ err: error }, 'http server error'));
  logger.info({ port: config.port, host: config.host }, 'socket-edge listening');
  closer.add(
    await startOpsServer({
      host: config.opsHost,
      port: config.opsPort,
      readiness: createEdgeReadiness({ db, redis, broker }),
      metrics,
      logger,
    }),
  );
  return { logger, shutdownTimeoutMs: config.shutdownTimeoutMs };
});
