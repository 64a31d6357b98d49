import {
  assertQueueWithDeadLetter,
  chatTopology,
  consumeReplacingOld,
  createChatPublisher,
  deadLetterTarget,
  SEND_QUEUE_ARGUMENTS,
  type Broker,
  type Consumer,
} from '@chat/broker';
import { sendRoutingKey, topologyNames } from '@chat/contracts';
import { createBookingStore, createMessageStore, type Db, type EntitlementPolicy } from '@chat/db';
import {
  createMetricsRegistry,
  runHealthChecks,
  type Logger,
  type Registry,
} from '@chat/observability';
import { startBookingEventsConsumer } from './entry-points/broker/booking-events-consumer';
import {
  createBookingServiceClient,
  type BookingServiceClient,
  type BreakerState,
} from './adapters/booking-service-client';
import type { MessageServiceConfig } from './config';
import { createEntitlementChecker } from './domain/entitlement-checker';
import type { ReadinessReport } from './entry-points/http/health-server';
import { createMessageMetrics } from './adapters/message-metrics';
import { startPartitionLeases, type PartitionLeases } from './adapters/partition-leases';
import { createSendMessageHandler } from './entry-points/broker/send-message-handler';

export interface MessageServiceDeps {
  config: MessageServiceConfig;
  logger: Logger;
  db: Db;
  broker: Broker;
  /**
   * Where its metrics go (chat_messages_stored_total, chat_send_command_seconds, …): the
   * process's registry, created in the composition root. Default: a registry of its own,
   * without process metrics.
   */
  metrics?: Registry;
}

export interface MessageService {
  /** The booking service's circuit breaker, or 'disabled' when BOOKING_SERVICE_URL is unset. */
  readonly bookingServiceState: BreakerState | 'disabled';
  /** The send partitions this instance consumes now (see partition-leases.ts), ascending. */
  heldPartitions(): number[];
  /**
   * PostgreSQL and RabbitMQ decide readiness. The booking service's breaker is reported but
   * does not: an open breaker only affects pairs the projection does not know, every instance
   * shares it, and taking instances out would stop chat for everyone instead of for those pairs.
   */
  readiness(): Promise<ReadinessReport>;
  /** Stops consuming and waits for the messages in hand; the caller closes broker and db. */
  close(): Promise<void>;
}

/** Declares the topology, consumes every send partition and the booking events. */
export async function startMessageService(deps: MessageServiceDeps): Promise<MessageService> {
  const { config, broker, db } = deps;
  const logger = deps.logger.child({ module: 'message-service' });
  const names = topologyNames(config.namespace);
  await broker.addTopology(chatTopology(names, config.partitions));

  const policy: EntitlementPolicy = {
    allowedStatuses: config.allowedBookingStatuses,
    completedGraceDays: config.completedGraceDays,
  };
  const bookings = createBookingStore(db);
  const publisher = createChatPublisher(broker, names);
  const bookingService = createBookingService(config, logger);
  const metrics = createMessageMetrics(
    deps.metrics ?? createMetricsRegistry('message-service', { defaultMetrics: false }),
    bookingService ? { bookingBreakerState: () => bookingService.state } : {},
  );

  const consumers: Consumer[] = [];
  let leases: PartitionLeases | undefined;
  const stopConsuming = () => Promise.all(consumers.map((c) => c.cancel()));
  try {
    consumers.push(
      await startBookingEventsConsumer({
        broker,
        names,
        exchange: config.bookingEventsExchange,
        bookings,
        policy,
        publisher,
        metrics,
        logger,
      }),
    );

    const handleSend = createSendMessageHandler({
      messages: createMessageStore(db),
      policy,
      entitlements: createEntitlementChecker({ bookings, ...policy, bookingService, logger }),
      publisher,
      messageMaxLength: config.messageMaxLength,
      eventIncludesText: config.eventIncludesText,
      metrics,
      logger,
    });
    leases = await startPartitionLeases({
      databaseUrl: config.databaseUrl,
      namespace: config.namespace,
      partitions: config.partitions,
      rebalanceMs: config.partitionRebalanceMs,
      consume(partition) {
        const queue = names.sendQueue(partition);
        const deadLetterQueue = names.deadLetterQueue(queue);
        return consumeReplacingOld(broker, {
          queue,
          exchange: names.commandsExchange,
          routingKey: sendRoutingKey(partition),
          declare: (channel, name) =>
            assertQueueWithDeadLetter(channel, names, name, SEND_QUEUE_ARGUMENTS, deadLetterQueue),
          consume: (name) =>
            broker.consume(name, handleSend, {
              prefetch: config.commandPrefetch,
              deadLetter: deadLetterTarget(names, queue),
              // Edges give every command an id; retries are counted by it.
              requireMessageId: true,
            }),
          logger,
        });
      },
      onChange: (change) => metrics.partitionLease(change),
      logger,
    });
  } catch (error) {
    await leases?.close();
    await stopConsuming();
    bookingService?.close();
    throw error;
  }
  logger.info(
    {
      partitions: config.partitions,
      bookingEventsExchange: config.bookingEventsExchange,
      bookingService: bookingService ? 'fallback on' : 'fallback off',
    },
    'consuming send commands and booking events',
  );

  let closing: Promise<void> | undefined;
  return {
    get bookingServiceState() {
      return bookingService?.state ?? 'disabled';
    },
    heldPartitions: () => leases?.held() ?? [],
    async readiness() {
      const report = await runHealthChecks([
        { name: 'postgres', check: () => db.ping() },
        {
          name: 'rabbitmq',
          check: async () => {
            if (!broker.isConnected) throw new Error('not connected');
          },
        },
      ]);
      return { ...report, bookingService: bookingService?.state ?? 'disabled' };
    },
    close() {
      closing ??= Promise.all([leases?.close(), stopConsuming()]).then(() =>
        bookingService?.close(),
      );
      return closing;
    },
  };
}

function createBookingService(
  config: MessageServiceConfig,
  logger: Logger,
): BookingServiceClient | undefined {
  if (!config.bookingServiceUrl) return undefined;
  return createBookingServiceClient(
    {
      baseUrl: config.bookingServiceUrl,
      pathTemplate: config.bookingServicePath,
      timeoutMs: config.bookingServiceTimeoutMs,
      errorThresholdPercentage: config.bookingBreakerErrorPercent,
      volumeThreshold: config.bookingBreakerVolumeThreshold,
      resetTimeoutMs: config.bookingBreakerResetMs,
      cacheTtlMs: config.bookingCacheTtlMs,
    },
    logger,
  );
}
