import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectBroker, type Broker } from '@chat/broker';
import { createDb, ensureDatabaseExists, migrateLatest, type Db } from '@chat/db';
import type { Logger } from '@chat/observability';
import type { RedisClient } from '@chat/redis';
import { startHistoryService } from '../services/history-service/src/app';
import { startMessageService } from '../services/message-service/src/app';
import { startSocketEdge, type SocketEdge } from '../services/socket-edge/src/app';
import { openRunRedis, prepareBenchRun } from './bench-run';
import type { Cleanup } from './cleanup';

/** Where the services run: in the bench's process, or as `npm run start:cluster` (sweep only). */
export type BenchProfile = 'in-process' | 'cluster';

export interface BenchStack {
  readonly profile: BenchProfile;
  readonly namespace: string;
  readonly database: string;
  /** http://127.0.0.1:<port>: Socket.IO at /socket.io, REST at /chat, as `npm start` serves them. */
  readonly baseUrl: string;
  readonly db: Db;
  /** Under the namespace's key prefix, as the services use it. */
  readonly redis: RedisClient;
  /** How long a send-message waits for its outcome before the edge answers TIMEOUT. */
  readonly sendAckTimeoutMs: number;
  /** The settings that shape the numbers, for the report. */
  readonly settings: Record<string, string | number>;
  /** The processes that run the services now, whose CPU and memory count as "chat". */
  chatPids(): number[];
  /**
   * The local address a client connects from, by its index, or undefined for the default.
   * Behind the cluster's gateway, which pins a client address to one edge, each client has a
   * loopback address of its own so that the load spreads over the edges as real users' would.
   */
  clientAddress(index: number): string | undefined;
}

/** The services in the bench's process: the in-process scenarios also read the edge itself. */
export interface InProcessStack extends BenchStack {
  readonly edge: SocketEdge;
}

/**
 * The real system in this process, the way `npm start` composes it (one PostgreSQL pool, one
 * broker connection per service, history app and Socket.IO on one HTTP server), but on port 0,
 * in a database and a namespace of its own, with rate limits out of the way. Every resource is
 * registered with `cleanup` as soon as it exists.
 */
export async function startBenchStack(
  options: { offlineQueueCap: number; logger: Logger },
  cleanup: Cleanup,
): Promise<InProcessStack> {
  const { logger } = options;
  const run = prepareBenchRun(options, cleanup);
  const { edge: edgeConfig, message: messageConfig, history: historyConfig } = run.configs;
  await ensureDatabaseExists(run.databaseUrl);
  const db = createDb({ url: run.databaseUrl, poolMax: historyConfig.databasePoolMax }, logger);
  cleanup.defer('PostgreSQL pool', () => db.close());
  await migrateLatest(db.knex);
  const redis = await openRunRedis(run, logger, cleanup);
  const openBroker = async (name: string): Promise<Broker> => {
    const broker = await connectBroker(
      { url: run.rabbitmqUrl, connectionName: `bench:${name}` },
      logger,
    );
    cleanup.defer(`broker ${name}`, () => broker.close());
    return broker;
  };
  const messageBroker = await openBroker('message-service');
  const historyBroker = await openBroker('history-service');
  const edgeBroker = await openBroker('socket-edge');

  const messages = await startMessageService({
    config: messageConfig,
    logger,
    db,
    broker: messageBroker,
  });
  cleanup.defer('message-service', () => messages.close());
  const history = await startHistoryService({
    config: historyConfig,
    logger,
    db,
    redis,
    broker: historyBroker,
  });
  cleanup.defer('history-service', () => history.close());
  const httpServer = createServer(history.app);
  cleanup.defer('HTTP server', async () => {
    httpServer.closeAllConnections();
    if (httpServer.listening) await new Promise((resolve) => httpServer.close(resolve));
  });
  const edge = await startSocketEdge({
    config: edgeConfig,
    logger,
    httpServer,
    db,
    redis,
    broker: edgeBroker,
  });
  cleanup.defer('socket-edge', () => edge.close());
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', resolve);
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    profile: 'in-process',
    namespace: run.namespace,
    database: run.database,
    baseUrl: `http://127.0.0.1:${port}`,
    db,
    redis,
    edge,
    sendAckTimeoutMs: edgeConfig.sendAckTimeoutMs,
    settings: run.settings,
    chatPids: () => [process.pid],
    clientAddress: () => undefined,
  };
}
