import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectBroker, type Broker } from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import { createCloser, createLogger } from '@chat/observability';
import { createRedis, type RedisClient } from '@chat/redis';
import { TEST_JWT_SECRET, testNamespace, testServiceUrls } from '@chat/testing';
import { startMessageService } from '../../../message-service/src/app';
import { loadMessageServiceConfig } from '../../../message-service/src/config';
import { startSocketEdge, type SocketEdge } from '../../src/app';
import { loadSocketEdgeConfig } from '../../src/config';

export interface ChatStack {
  readonly namespace: string;
  readonly db: Db;
  readonly redis: RedisClient;
  /** Base URL of each edge node, e.g. http://127.0.0.1:41234. */
  readonly edgeUrls: string[];
  readonly edges: SocketEdge[];
  /** The message-service instances, in start order; the first holds the send queues. */
  readonly messageServices: { stop(): Promise<void> }[];
  close(): Promise<void>;
}

export interface ChatStackOptions {
  edges?: number;
  /** message-service instances; default 1. */
  messageServices?: number;
  label?: string;
  env?: Record<string, string>;
}

const logger = createLogger({
  service: 'test',
  level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent',
});

/**
 * The real system in-process: message-service and `edges` socket-edge nodes on port 0, each
 * with its own broker connection, on the real PostgreSQL, Redis and RabbitMQ, under a
 * namespace of its own so concurrent test files never meet.
 */
export async function startChatStack(options: ChatStackOptions = {}): Promise<ChatStack> {
  const namespace = testNamespace(options.label ?? 'stack');
  const urls = testServiceUrls();
  const env = {
    CHAT_NAMESPACE: namespace,
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    RABBITMQ_URL: urls.rabbitmqUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    CHAT_PARTITIONS: '4',
    // TutorGo's exchange is shared by everything on the broker: each stack gets its own.
    BOOKING_EVENTS_EXCHANGE: `${namespace}.tutorgo.events`,
    DATABASE_POOL_MAX: '4',
    ...options.env,
  };
  const closer = createCloser();
  const db = closer.add(createDb({ url: urls.databaseUrl, poolMax: 8 }, logger));
  const redis = closer.add(
    createRedis({ url: urls.redisUrl, keyPrefix: topologyNames(namespace).redisKeyPrefix }, logger),
  );
  await redis.ping();

  const serviceConfig = loadMessageServiceConfig(env);
  const messageServices: { stop(): Promise<void> }[] = [];
  for (let index = 0; index < (options.messageServices ?? 1); index++) {
    const broker = closer.add(await connectTestBroker(`message-service${index}`, env.RABBITMQ_URL));
    const service = closer.add(
      await startMessageService({ config: serviceConfig, logger, db, broker }),
    );
    // Stopping one instance mid-test, as a crash or a deploy would: its consumers go away.
    messageServices.push({ stop: () => service.close().then(() => broker.close()) });
  }

  const edges: SocketEdge[] = [];
  const edgeUrls: string[] = [];
  for (let index = 0; index < (options.edges ?? 1); index++) {
    const config = loadSocketEdgeConfig({ ...env, EDGE_NODE_ID: `${namespace}-edge${index}` });
    const broker = closer.add(await connectTestBroker(`edge${index}`, env.RABBITMQ_URL));
    const httpServer = createServer();
    const edge = closer.add(
      await startSocketEdge({ config, logger, httpServer, db, redis, broker }),
    );
    await listen(httpServer);
    edges.push(edge);
    edgeUrls.push(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
  }

  return { namespace, db, redis, edgeUrls, edges, messageServices, close: () => closer.close() };
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
