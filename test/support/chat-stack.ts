import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connectBroker, type Broker } from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import {
  createLogger,
  createMetricsRegistry,
  startOpsServer,
  type Registry,
} from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import { createCloser } from '@chat/runtime';
import { TEST_JWT_SECRET, testNamespace, testServiceUrls } from '@chat/testing';
import { startMessageService } from '../../services/message-service/src/app';
import { loadMessageServiceConfig } from '../../services/message-service/src/config';
import { startSocketEdge, type SocketEdge } from '../../services/socket-edge/src/app';
import { loadSocketEdgeConfig } from '../../services/socket-edge/src/config';
import {
  createEdgeHttpEndpoints,
  createEdgeReadiness,
} from '../../services/socket-edge/src/entry-points/http/http-endpoints';

export interface ChatStack {
  readonly namespace: string;
  readonly db: Db;
  readonly redis: RedisClient;
  /** Base URL of each edge node, e.g. http://127.0.0.1:41234. */
  readonly edgeUrls: string[];
  /** Base URL of each edge node's ops server (OPS_PORT in main.ts: /metrics, detailed /readyz). */
  readonly edgeOpsUrls: string[];
  readonly edges: SocketEdge[];
  /**
   * Makes edge `index` vanish as under SIGKILL: its Redis and RabbitMQ connections are cut,
   * then its HTTP connections destroyed, so none of its disconnect clean-up reaches Redis or
   * RabbitMQ, and it no longer announces itself alive. Its URL refuses connections afterwards.
   */
  killEdge(index: number): Promise<void>;
  /**
   * Each edge node's metrics registry, in `edgeUrls` order (one per node, as one per process in
   * production); also served at `<edgeOpsUrl>/metrics`.
   */
  readonly edgeMetrics: Registry[];
  /** The message-service instances, in start order; the first holds the send queues. */
  readonly messageServices: { stop(): Promise<void> }[];
  /** Each message-service instance's metrics registry, in `messageServices` order. */
  readonly messageServiceMetrics: Registry[];
  close(): Promise<void>;
}

export interface ChatStackOptions {
  edges?: number;
  /** message-service instances; default 1. */
  messageServices?: number;
  label?: string;
  env?: Record<string, string>;
  /** The RabbitMQ URL edge `index` connects through (e.g. a fault-injecting proxy); default RABBITMQ_URL. */
  edgeRabbitmqUrl?: (index: number) => string | undefined;
}

const logger = createLogger({
  service: 'test',
  level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent',
});

/**
 * The real system in-process: message-service and `edges` socket-edge nodes on port 0 (each
 * edge's HTTP server as in its main.ts: /healthz, /readyz, /metrics beside Socket.IO, and its
 * ops server), each
 * with its own broker connection and metrics registry, on the real PostgreSQL, Redis and
 * RabbitMQ, under a namespace of its own so concurrent test files never meet.
 */
export async function startChatStack(options: ChatStackOptions = {}): Promise<ChatStack> {
  const closer = createCloser();
  try {
    return await startStack(options, closer);
  } catch (error) {
    // A half-started stack would keep Jest alive with its connections and reconnect timers.
    await closer.close().catch(() => undefined);
    throw error;
  }
}

async function startStack(
  options: ChatStackOptions,
  closer: ReturnType<typeof createCloser>,
): Promise<ChatStack> {
  const namespace = testNamespace(options.label ?? 'stack');
  const urls = testServiceUrls();
  const env = {
    CHAT_NAMESPACE: namespace,
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    RABBITMQ_URL: urls.rabbitmqUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    // Tokens end at their exp exactly, so tests of expiry need not wait out a clock tolerance.
    JWT_CLOCK_TOLERANCE_SEC: '0',
    CHAT_PARTITIONS: '4',
    // TutorGo's exchange is shared by everything on the broker: each stack gets its own.
    BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
    DATABASE_POOL_MAX: '4',
    // Every test client connects from 127.0.0.1; tests of the limit set their own.
    CONNECT_RATE_LIMIT_PER_IP: '1000000',
    ...options.env,
  };
  const db = closer.add(createDb({ url: urls.databaseUrl, poolMax: 8 }, logger));
  const redis = closer.add(
    createRedis({ url: urls.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix }, logger),
  );
  await redis.ping();

  const serviceConfig = loadMessageServiceConfig(env);
  const messageServices: { stop(): Promise<void> }[] = [];
  const messageServiceMetrics: Registry[] = [];
  for (let index = 0; index < (options.messageServices ?? 1); index++) {
    const broker = closer.add(await connectTestBroker(`message-service${index}`, env.RABBITMQ_URL));
    const metrics = createMetricsRegistry('message-service', { defaultMetrics: false });
    const service = closer.add(
      await startMessageService({ config: serviceConfig, logger, db, broker, metrics }),
    );
    messageServiceMetrics.push(metrics);
    // Stopping one instance mid-test, as a crash or a deploy would: its consumers go away.
    messageServices.push({ stop: () => service.close().then(() => broker.close()) });
  }

  const edges: SocketEdge[] = [];
  const kills: (() => Promise<void>)[] = [];
  const edgeUrls: string[] = [];
  const edgeOpsUrls: string[] = [];
  const edgeMetrics: Registry[] = [];
  for (let index = 0; index < (options.edges ?? 1); index++) {
    const config = loadSocketEdgeConfig({ ...env, EDGE_NODE_ID: `${namespace}-edge${index}` });
    const brokerUrl = options.edgeRabbitmqUrl?.(index) ?? env.RABBITMQ_URL;
    const broker = closer.add(await connectTestBroker(`edge${index}`, brokerUrl));
    // A Redis connection per edge, as one per process in production: killEdge cuts it alone.
    const edgeRedis = closer.add(
      createRedis(
        { url: urls.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix },
        logger,
      ),
    );
    await edgeRedis.ping();
    const metrics = createMetricsRegistry('socket-edge', { defaultMetrics: false });
    const httpServer = createServer(
      createEdgeHttpEndpoints({
        db,
        redis: edgeRedis,
        broker,
        metrics,
        opsToken: config.opsToken,
        logger,
      }),
    );
    const connections = new Set<Socket>();
    httpServer.on('connection', (connection: Socket) => {
      connections.add(connection);
      connection.once('close', () => connections.delete(connection));
    });
    const edge = closer.add(
      await startSocketEdge({ config, logger, httpServer, db, redis: edgeRedis, broker, metrics }),
    );
    await listen(httpServer);
    kills.push(async () => {
      edgeRedis.redis.disconnect();
      await broker.close();
      httpServer.close();
      for (const connection of connections) connection.destroy();
    });
    edges.push(edge);
    edgeMetrics.push(metrics);
    edgeUrls.push(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
    const readiness = createEdgeReadiness({ db, redis, broker });
    const ops = closer.add(
      await startOpsServer({ host: '127.0.0.1', port: 0, readiness, metrics, logger }),
    );
    edgeOpsUrls.push(`http://127.0.0.1:${ops.port}`);
  }

  return {
    namespace,
    db,
    redis,
    edgeUrls,
    edgeOpsUrls,
    edges,
    killEdge: (index) => kills[index]!(),
    edgeMetrics,
    messageServices,
    messageServiceMetrics,
    close: () => closer.close(),
  };
}

function connectTestBroker(name: string, url: string): Promise<Broker> {
  return connectBroker({ url, connectionName: `test:${name}`, publishTimeoutMs: 5000 }, logger);
}

function listen(server: HttpServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
}
