import type { ChatDomainEvent } from '@chat/contracts';
import { buildChannels, buildOperations, type ChannelMessages } from './asyncapi-channels';
import {
  bookingEventMessage,
  deadLetterMessage,
  deliveryBatchMessage,
  deliveryMessages,
  domainEventMessages,
  sendCommandMessages,
  type AsyncApiMessage,
  type JsonObject,
} from './asyncapi-messages';

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  id: string;
  info: JsonObject;
  defaultContentType: string;
  servers: JsonObject;
  channels: JsonObject;
  operations: JsonObject;
  components: { messages: Record<string, AsyncApiMessage> };
}

const DESCRIPTION = `Every message the chat publishes or consumes on RabbitMQ: TutorGo's booking events it consumes, the domain events it publishes on \`chat.events\` for other TutorGo services, and the commands and deliveries between its own services (socket-edge, message-service, history-service). Generated from the zod contracts in libs/contracts that check these messages at run time (\`npm run asyncapi -- --write\`), so the two cannot disagree.

**Names.** Shown without a namespace. With \`CHAT_NAMESPACE\` set, each of our exchanges and queues is prefixed by \`<namespace>.\` (\`staging.chat.commands\`, \`staging.chat.send.3.dlq\`); TutorGo's booking exchange (\`BOOKING_EVENTS_EXCHANGE\`) is not. A channel binding's \`x-arguments\` are the queue's declaration arguments, \`x-bound-to\` the binding that feeds it, \`x-alternate-exchange\` the exchange's alternate exchange.

**Properties of every publish.** \`contentType\` application/json; \`deliveryMode\` 2 (persistent); \`timestamp\` (seconds); \`type\`: the message's type, as in the body (\`chat.send-message.v1\`, \`chat.delivery.v1\`, \`chat.message.created.v1\`, …); \`correlationId\`: the correlation id of the send (or request) that caused it, carried from the client event through the broker to the database write and back; \`messageId\`: unique per publish (kept by a publish retried after a lost connection, \`outbox-<row id>\` from history-service's outbox, the original's on a parked message). Mandatory publishes carry an \`x-return-key\` header that only our publisher reads.

**Guarantees.** At least once: every publish waits for the broker's confirm, and a consumer acks only once its work is durable (stored, and the publishes it causes confirmed). A crash before the ack redelivers, and a redelivered command publishes its deliveries and events again with new messageIds, so every consumer de-duplicates by the ids in the body: a chat message by \`id\` (or \`messageId\` in chat.message.created.v1), a send by \`senderId\` + \`clientMessageId\`, a booking event by \`bookingId\` + \`occurredAt\`. Order holds per conversation: the edge publishes a conversation's sends in the order the client emitted them, to one partition queue with a single active consumer; \`seq\` numbers a conversation's messages without gaps, and its deliveries and chat.message.created.v1 events are published in \`seq\` order. A repeat after a redelivery may come after later messages: order by \`seq\`, not by arrival. Nothing is ordered across conversations, nor between chat.events and the deliveries.

**Versioning.** A type ends in its version (\`.v1\`). Within a version, changes are additive only: a new optional field; consumers ignore fields they do not know (ours do). Anything else (a field removed, renamed, retyped or made required, a meaning changed) is a new type beside the old one (\`chat.message.created.v2\` next to \`.v1\`), published side by side until every consumer reads the new one, whose consumers are deployed before its producers: our consumers refuse a type they do not know (parked on its queue's .dlq; dropped from an edge's own queue, which has none). On chat.events the routing key is the type, so a consumer binds exactly the versions it reads.`;

/** The services and tools the operations belong to. */
const TAGS = [
  { name: 'socket-edge', description: 'Socket.IO server: publishes sends, emits deliveries' },
  { name: 'message-service', description: 'Stores sends, keeps the booking projection' },
  { name: 'history-service', description: 'REST API; read receipts through its outbox' },
  { name: 'tutorgo-booking-service', description: "TutorGo's booking service (not ours)" },
  { name: 'operator', description: 'Operations tools (npm run dlq)' },
];

/**
 * The AsyncAPI 3.0 document of our RabbitMQ messages, generated from the zod schemas in
 * @chat/contracts that also check them at run time: a delivery or domain event added to its
 * union appears here by itself. docs/asyncapi.json is this, written by `npm run asyncapi --
 * --write`; history-service serves it at /chat/asyncapi.json.
 */
export function buildAsyncApiDocument(): AsyncApiDocument {
  const commands = sendCommandMessages();
  const batch = deliveryBatchMessage();
  const deliveries = { ...deliveryMessages(), [batch.name]: batch };
  const events = domainEventMessages();
  const keys: ChannelMessages = {
    booking: 'booking',
    sendCommands: Object.keys(commands),
    deliveries: Object.keys(deliveries),
    domainEvents: Object.keys(events) as ChatDomainEvent['type'][],
    deadLetter: 'dead-letter',
  };
  return {
    asyncapi: '3.0.0',
    id: 'urn:tutorgo:chat:rabbitmq',
    info: {
      title: 'TutorGo Chat messaging (RabbitMQ)',
      version: '1.0.0',
      description: DESCRIPTION,
      tags: TAGS,
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: {
        host: '127.0.0.1:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description:
          'RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672); a path selects the virtual host, / by default',
      },
    },
    channels: buildChannels(keys),
    operations: buildOperations(keys),
    components: {
      messages: {
        [keys.booking]: bookingEventMessage(),
        ...commands,
        ...deliveries,
        ...events,
        [keys.deadLetter]: deadLetterMessage(),
      },
    },
  };
}
