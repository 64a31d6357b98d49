import { connectBroker, type Broker } from '@chat/broker';
import { createDb, type Db } from '@chat/db';
import { createLogger, startOpsServer, type OpsServer, type Registry } from '@chat/observability';
import {
  testNamespace,
  testServiceUrls,
  connectTutorGoEvents,
  type TutorGoEvents,
} from '@chat/testing';
import { startMessageService, type MessageService } from '../../src/app';
import { loadMessageServiceConfig, type MessageServiceConfig } from '../../src/config';
import { startHealthServer, type HealthServer } from '../../src/entry-points/http/health-server';
import { startBookingServiceStub, type BookingServiceStub } from './booking-service-stub';

const logger = createLogger({ service: 'test', level: 'silent' });

export interface ServiceUnderTest {
  config: MessageServiceConfig;
  db: Db;
  broker: Broker;
  service: MessageService;
  health: HealthServer;
  /** The internal ops server (OPS_PORT in main.ts). */
  ops: OpsServer;
  /** A real HTTP booking service stand-in; the breaker opens after one failure. */
  stub: BookingServiceStub;
  tutorgo: TutorGoEvents;
  close(): Promise<void>;
}

/**
 * message-service wired as main.ts wires it — its own broker connection, its health server and
 * ops server on port 0, the booking-service fallback pointed at a stub — under a namespace of its own.
 */
export async function startServiceUnderTest(options: {
  label: string;
  metrics?: Registry;
  /** OPS_TOKEN, which reads /metrics on the health port; default none. */
  opsToken?: string;
  /** Default: the test run's database. */
  databaseUrl?: string;
}): Promise<ServiceUnderTest> {
  const stub = await startBookingServiceStub();
  const tutorgo = await connectTutorGoEvents();
  const urls = testServiceUrls();
  const config = loadMessageServiceConfig({
    CHAT_NAMESPACE: testNamespace(options.label),
    DATABASE_URL: options.databaseUrl ?? urls.databaseUrl,
    RABBITMQ_URL: urls.rabbitmqUrl,
    CHAT_PARTITIONS: '2',
    BOOKING_EVENTS_EXCHANGE: tutorgo.exchange,
    BOOKING_SERVICE_URL: stub.url,
    BOOKING_BREAKER_VOLUME_THRESHOLD: '1',
    BOOKING_BREAKER_RESET_MS: '60000',
  });
  const db = createDb({ url: config.databaseUrl, poolMax: 2 }, logger);
  const broker = await connectBroker(
    { url: config.rabbitmqUrl, connectionName: `test:${options.label}`, publishTimeoutMs: 5000 },
    logger,
  );
  const { metrics } = options;
  const service = await startMessageService({ config, logger, db, broker, metrics });
  const readiness = () => service.readiness();
  const health = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    readiness,
    metrics,
    opsToken: options.opsToken,
    logger,
  });
  const ops = await startOpsServer({ port: 0, host: '127.0.0.1', readiness, metrics, logger });
  return {
    config,
    db,
    broker,
    service,
    health,
    ops,
    stub,
    tutorgo,
    async close() {
      await health.close();
      await ops.close();
      await service.close();
      await broker.close();
      await db.close();
      await tutorgo.close();
      await stub.close();
    },
  };
}
