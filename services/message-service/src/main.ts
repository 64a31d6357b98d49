import { connectBroker } from '@chat/broker';
import { createDb } from '@chat/db';
import {
  createCloser,
  createLogger,
  exitOnStartupError,
  installShutdown,
} from '@chat/observability';
import { startMessageService } from './app';
import { loadMessageServiceConfig } from './config';
import { startHealthServer } from './health-server';

async function main(): Promise<void> {
  const config = loadMessageServiceConfig();
  const logger = createLogger({ service: 'message-service', level: config.logLevel });
  const closer = createCloser();
  try {
    const db = closer.add(
      createDb({ url: config.databaseUrl, poolMax: config.databasePoolMax }, logger),
    );
    await db.ping();
    const broker = closer.add(
      await connectBroker({ url: config.rabbitmqUrl, connectionName: 'message-service' }, logger),
    );
    const service = closer.add(await startMessageService({ config, logger, db, broker }));
    closer.add(
      await startHealthServer({
        port: config.healthPort,
        readiness: () => service.readiness(),
        logger,
      }),
    );
  } catch (error) {
    await closer.close();
    throw error;
  }
  installShutdown(closer, logger, config.shutdownTimeoutMs);
}

main().catch(exitOnStartupError('message-service'));
