import {
  chatTopology,
  createChatPublisher,
  deadLetterTarget,
  type Broker,
  type Consumer,
} from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createBookingStore, createMessageStore, type Db } from '@chat/db';
import type { Logger } from '@chat/observability';
import type { MessageServiceConfig } from './config';
import { createEntitlementChecker } from './entitlements';
import { createSendMessageHandler } from './send-message-handler';

export interface MessageServiceDeps {
  config: MessageServiceConfig;
  logger: Logger;
  db: Db;
  broker: Broker;
}

export interface MessageService {
  /** Stops consuming and waits for the commands in hand; the caller closes broker and db. */
  close(): Promise<void>;
}

/** Declares the topology and consumes every send partition. */
export async function startMessageService(deps: MessageServiceDeps): Promise<MessageService> {
  const { config, broker } = deps;
  const logger = deps.logger.child({ module: 'message-service' });
  const names = topologyNames(config.namespace);
  await broker.addTopology(chatTopology(names, config.partitions));

  const handleSend = createSendMessageHandler({
    messages: createMessageStore(deps.db.knex),
    entitlements: createEntitlementChecker({
      bookings: createBookingStore(deps.db.knex),
      allowedStatuses: config.allowedBookingStatuses,
    }),
    publisher: createChatPublisher(broker, names),
    messageMaxLength: config.messageMaxLength,
    logger,
  });

  const consumers: Consumer[] = [];
  for (let partition = 0; partition < config.partitions; partition++) {
    const queue = names.sendQueue(partition);
    consumers.push(
      await broker.consume(queue, handleSend, {
        prefetch: config.commandPrefetch,
        deadLetter: deadLetterTarget(names, queue),
      }),
    );
  }
  logger.info({ partitions: config.partitions }, 'consuming send commands');

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= Promise.all(consumers.map((c) => c.cancel())).then(() => undefined);
      return closing;
    },
  };
}
