import {
  DEFAULT_BOOKING_EVENTS_EXCHANGE,
  sendRoutingKey,
  topologyNames,
  userRoutingKey,
} from '@chat/contracts';
import {
  AMQP_BINDING_VERSION,
  DOMAIN_EVENT_PUBLISHERS,
  type JsonObject,
} from './asyncapi-messages';
import {
  chatExchanges,
  OFFLINE_QUEUE_ARGUMENTS,
  SEND_QUEUE_ARGUMENTS,
  type ExchangeDeclaration,
} from './chat-topology';

/** The messages the channels carry, by component key (see asyncapi-messages.ts). */
export interface ChannelMessages {
  booking: string;
  sendCommands: string[];
  deliveries: string[];
  domainEvents: (keyof typeof DOMAIN_EVENT_PUBLISHERS)[];
  deadLetter: string;
}

const messageRefs = (keys: string[]) =>
  Object.fromEntries(keys.map((key) => [key, { $ref: `#/components/messages/${key}` }]));

const exchangeBinding = (exchange: ExchangeDeclaration, extra: JsonObject = {}) => ({
  amqp: {
    is: 'routingKey',
    exchange: {
      name: exchange.name,
      type: exchange.type,
      durable: exchange.options.durable,
      autoDelete: false,
      vhost: '/',
    },
    ...extra,
    bindingVersion: AMQP_BINDING_VERSION,
  },
});

const queueBinding = (
  queue: { name: string; durable: boolean; exclusive: boolean; autoDelete: boolean },
  extra: JsonObject,
) => ({
  amqp: {
    is: 'queue',
    queue: { ...queue, vhost: '/' },
    ...extra,
    bindingVersion: AMQP_BINDING_VERSION,
  },
});

/** A durable queue declared with a dead-letter queue (assertQueueWithDeadLetter). */
const deadLetteredQueue = (
  name: string,
  deadLetterExchange: string,
  deadLetterQueue: string,
  args: Record<string, unknown>,
  boundTo: JsonObject,
) =>
  queueBinding(
    { name, durable: true, exclusive: false, autoDelete: false },
    {
      'x-arguments': {
        'x-dead-letter-exchange': deadLetterExchange,
        'x-dead-letter-routing-key': deadLetterQueue,
        ...args,
      },
      'x-bound-to': boundTo,
    },
  );

/** `fn(placeholder)` with the number replaced by `{name}`: an address template from a name function. */
function template(fn: (value: number) => string, name: string): string {
  const marker = 2_147_483_647;
  return fn(marker).replace(String(marker), `{${name}}`);
}

const partitionParameter = {
  description:
    'The send partition: FNV-1a of the conversation id, finalised, modulo CHAT_PARTITIONS (conversationPartition in libs/contracts), so every command of a conversation goes to one queue',
};

/**
 * The channels, in the unprefixed namespace: the exchange + routing key a message is published
 * with (`is: routingKey`), and the queue it is consumed from (`is: queue`).
 */
export function buildChannels(messages: ChannelMessages): JsonObject {
  const names = topologyNames(undefined);
  const exchanges = chatExchanges(names);
  const sendQueue = template(names.sendQueue, 'partition');
  const dlq = names.deadLetterQueue('{queue}');
  const booking = [messages.booking];

  const domainEventChannels = Object.fromEntries(
    messages.domainEvents.map((type) => [
      type,
      {
        address: type,
        title: `${type} on ${exchanges.events.name}`,
        description: `Topic exchange ${exchanges.events.name}, routing key = the event type. We bind no queue to it: other TutorGo services bind their own (a pattern like \`chat.message.*.v1\` or the exact type).`,
        messages: messageRefs([type]),
        bindings: exchangeBinding(exchanges.events),
      },
    ]),
  );

  return {
    bookingEvents: {
      address: 'booking.{status}',
      title: `booking.<status> on ${DEFAULT_BOOKING_EVENTS_EXCHANGE}`,
      description: `TutorGo's topic exchange (BOOKING_EVENTS_EXCHANGE, default ${DEFAULT_BOOKING_EVENTS_EXCHANGE}; never prefixed by CHAT_NAMESPACE: TutorGo owns it).`,
      parameters: {
        status: {
          description:
            'The booking status the event reports; another word (updated, …) needs `status` in the body',
          examples: ['confirmed', 'cancelled', 'completed', 'pending'],
        },
      },
      messages: messageRefs(booking),
      bindings: exchangeBinding({
        name: DEFAULT_BOOKING_EVENTS_EXCHANGE,
        type: 'topic',
        options: { durable: true },
      }),
    },
    bookingsQueue: {
      address: names.bookingQueue,
      title: `${names.bookingQueue} queue`,
      description: `Our queue of TutorGo's booking events, bound with \`booking.*\`. Classic, durable; a parked event goes to ${names.deadLetterQueue(names.bookingQueue)}.`,
      messages: messageRefs(booking),
      bindings: deadLetteredQueue(
        names.bookingQueue,
        exchanges.deadLetter.name,
        names.deadLetterQueue(names.bookingQueue),
        {},
        { exchange: DEFAULT_BOOKING_EVENTS_EXCHANGE, routingKey: 'booking.*' },
      ),
    },
    sendCommands: {
      address: template(sendRoutingKey, 'partition'),
      title: `send.<partition> on ${exchanges.commands.name}`,
      description: `Direct exchange ${exchanges.commands.name}: send commands routed to their conversation's partition queue. Published mandatory: a partition with no queue fails the publish instead of losing it.`,
      parameters: { partition: partitionParameter },
      messages: messageRefs(messages.sendCommands),
      bindings: exchangeBinding(exchanges.commands),
    },
    sendPartition: {
      address: sendQueue,
      title: `${sendQueue} queues`,
      description: `One per partition (CHAT_PARTITIONS of them). Quorum, single active consumer: one message-service instance at a time takes a partition, so a conversation's commands are stored in the order they were published. x-delivery-limit backstops a command that crashes its consumer every time; the consumer itself parks a command after 10 failed attempts, on ${names.deadLetterQueue(sendQueue)}. A queue from before (classic) is emptied into its replacement through \`<queue>.replacing\` by its consumer.`,
      parameters: { partition: partitionParameter },
      messages: messageRefs(messages.sendCommands),
      bindings: deadLetteredQueue(
        sendQueue,
        exchanges.deadLetter.name,
        names.deadLetterQueue(sendQueue),
        SEND_QUEUE_ARGUMENTS,
        { exchange: exchanges.commands.name, routingKey: template(sendRoutingKey, 'partition') },
      ),
    },
    deliveries: {
      address: userRoutingKey('{userId}'),
      title: `user.<userId> on ${exchanges.delivery.name}`,
      description: `Direct exchange ${exchanges.delivery.name}: a delivery to every socket of one user. Each edge binds its queue to user.<id> while the user has a socket on it; a delivery no edge takes goes to the alternate exchange ${exchanges.unrouted.name} (fanout) and on to ${names.offlineQueue}.`,
      parameters: {
        userId: {
          description: 'The user the delivery is for',
          location: '$message.payload#/userId',
        },
      },
      messages: messageRefs(messages.deliveries),
      bindings: exchangeBinding(exchanges.delivery, {
        'x-alternate-exchange': exchanges.unrouted.name,
      }),
    },
    edgeQueue: {
      address: names.edgeQueue('{nodeId}'),
      title: `${names.edgeQueue('{nodeId}')} queues`,
      description:
        "One per socket-edge node (EDGE_NODE_ID), exclusive to its connection: gone with it, declared and bound again after a reconnect. Deliveries for the node's users; not dead-lettered (a malformed delivery is dropped).",
      parameters: {
        nodeId: { description: 'The edge node (EDGE_NODE_ID, default <hostname>-<pid>-<random>)' },
      },
      messages: messageRefs(messages.deliveries),
      bindings: queueBinding(
        { name: names.edgeQueue('{nodeId}'), durable: false, exclusive: true, autoDelete: true },
        {
          'x-bound-to': {
            exchange: exchanges.delivery.name,
            routingKey: 'user.<id> per local user',
          },
        },
      ),
    },
    offlineQueue: {
      address: names.offlineQueue,
      title: `${names.offlineQueue} queue`,
      description: `Deliveries that found no edge queue, through ${exchanges.unrouted.name} (fanout). Quorum, no delivery limit: its consumers (every edge) retry until Redis is back, and an outage never parks a delivery. A new-message goes into the receiver's Redis offline queue (or is routed once more when the user came online meanwhile); the other events, and batches of answers, mean nothing to an absent user and are dropped. A malformed one is parked on ${names.deadLetterQueue(names.offlineQueue)}.`,
      messages: messageRefs(messages.deliveries),
      bindings: deadLetteredQueue(
        names.offlineQueue,
        exchanges.deadLetter.name,
        names.deadLetterQueue(names.offlineQueue),
        OFFLINE_QUEUE_ARGUMENTS,
        { exchange: exchanges.unrouted.name, routingKey: '' },
      ),
    },
    ...domainEventChannels,
    deadLetters: {
      address: dlq,
      title: `<queue>.dlq on ${exchanges.deadLetter.name}`,
      description: `Direct exchange ${exchanges.deadLetter.name}; the routing key is the dead-letter queue's name. Consumers park poison messages here (mandatory publish), and RabbitMQ dead-letters here what a queue's x-delivery-limit rejects.`,
      parameters: {
        queue: {
          description: 'The queue the message was taken from',
          examples: [
            template(names.sendQueue, 'partition'),
            names.offlineQueue,
            names.bookingQueue,
          ],
        },
      },
      messages: messageRefs([messages.deadLetter]),
      bindings: exchangeBinding(exchanges.deadLetter),
    },
    deadLetterQueue: {
      address: dlq,
      title: '<queue>.dlq queues',
      description:
        'Classic, durable, one per dead-lettered queue. Nothing consumes them: `npm run dlq` lists, replays and purges them.',
      parameters: { queue: { description: 'The queue the message was taken from' } },
      messages: messageRefs([messages.deadLetter]),
      bindings: queueBinding(
        { name: dlq, durable: true, exclusive: false, autoDelete: false },
        { 'x-bound-to': { exchange: exchanges.deadLetter.name, routingKey: dlq } },
      ),
    },
  };
}

/** Every message of a channel, as an operation lists them. */
const channelMessages = (channel: string, keys: string[]) =>
  keys.map((key) => ({ $ref: `#/channels/${channel}/messages/${key}` }));

const channelRef = (channel: string) => ({ $ref: `#/channels/${channel}` });

const tags = (...names: string[]) => names.map((name) => ({ name }));

/** What we set on a publish (libs/broker publisher.ts): persistent, with a timestamp. */
const publishBinding = (mandatory: boolean) => ({
  amqp: { deliveryMode: 2, mandatory, timestamp: true, bindingVersion: AMQP_BINDING_VERSION },
});

/** Manual ack, after the work is durable. */
const consumeBinding = { amqp: { ack: true, bindingVersion: AMQP_BINDING_VERSION } };

/** Who sends and receives what, on which channel. */
export function buildOperations(messages: ChannelMessages): JsonObject {
  const booking = [messages.booking];
  const domainEventOperations = Object.fromEntries(
    messages.domainEvents.map((type) => [
      `publish.${type}`,
      {
        action: 'send',
        channel: channelRef(type),
        title: `Publish ${type}`,
        summary: `${DOMAIN_EVENT_PUBLISHERS[type].service} publishes it ${DOMAIN_EVENT_PUBLISHERS[type].when}.`,
        tags: tags(DOMAIN_EVENT_PUBLISHERS[type].service),
        messages: channelMessages(type, [type]),
        bindings: publishBinding(false),
      },
    ]),
  );
  return {
    publishBookingEvent: {
      action: 'send',
      channel: channelRef('bookingEvents'),
      title: 'TutorGo publishes a booking event',
      summary:
        "TutorGo's booking service, not us; `npm run booking` publishes the same for trying the chat locally.",
      tags: tags('tutorgo-booking-service'),
      messages: channelMessages('bookingEvents', booking),
      bindings: publishBinding(true),
    },
    consumeBookingEvents: {
      action: 'receive',
      channel: channelRef('bookingsQueue'),
      title: 'Apply booking events',
      summary:
        "message-service keeps its booking projection from them; when an event takes away the pair's last booking that lets them chat, it publishes conversation-closed to both and chat.conversation.closed.v1, and acks only once those are confirmed.",
      tags: tags('message-service'),
      messages: channelMessages('bookingsQueue', booking),
      bindings: consumeBinding,
    },
    publishSendCommands: {
      action: 'send',
      channel: channelRef('sendCommands'),
      title: 'Publish send commands',
      summary:
        'socket-edge publishes what it accepted, with publisher confirms, in the order the client emitted the sends: a lone command as itself, several for one partition in one turn as a batch.',
      tags: tags('socket-edge'),
      messages: channelMessages('sendCommands', messages.sendCommands),
      bindings: publishBinding(true),
    },
    consumeSendCommands: {
      action: 'receive',
      channel: channelRef('sendPartition'),
      title: 'Store send commands',
      summary:
        'message-service stores each command once (idempotent on senderId + clientMessageId), publishes its deliveries and chat.message.created.v1, and acks only once those are confirmed. A redelivered command finds its row and publishes again.',
      tags: tags('message-service'),
      messages: channelMessages('sendPartition', messages.sendCommands),
      bindings: consumeBinding,
    },
    publishDeliveries: {
      action: 'send',
      channel: channelRef('deliveries'),
      title: 'Publish deliveries',
      summary:
        "message-service (new-message, conversation-closed, and each batch's answers: message-sent, send-rejected, several in one chat.delivery-batch.v1 with the other senders in BCC), history-service through its outbox (messages-read), socket-edge (user-online, user-offline, and a new-message routed again from chat.offline). Not mandatory: the alternate exchange takes what no edge's queue does.",
      tags: tags('message-service', 'history-service', 'socket-edge'),
      messages: channelMessages('deliveries', messages.deliveries),
      bindings: publishBinding(false),
    },
    consumeDeliveries: {
      action: 'receive',
      channel: channelRef('edgeQueue'),
      title: 'Emit deliveries to sockets',
      summary:
        "socket-edge emits each delivery to the user's sockets on this node (their user room, one copy per socket), settles the sender's acknowledgement, and drops repeats by message id; of a batch, the items of its own users.",
      tags: tags('socket-edge'),
      messages: channelMessages('edgeQueue', messages.deliveries),
      bindings: consumeBinding,
    },
    consumeUnroutedDeliveries: {
      action: 'receive',
      channel: channelRef('offlineQueue'),
      title: 'Keep messages for absent users',
      summary: "socket-edge puts new-message into the receiver's Redis offline queue.",
      tags: tags('socket-edge'),
      messages: channelMessages('offlineQueue', messages.deliveries),
      bindings: consumeBinding,
    },
    ...domainEventOperations,
    parkPoisonMessage: {
      action: 'send',
      channel: channelRef('deadLetters'),
      title: 'Park a poison message',
      summary:
        'A consumer (message-service, socket-edge) parks a message its contract refuses, or one that failed 10 times, with its reason, then acks the original.',
      tags: tags('message-service', 'socket-edge'),
      messages: channelMessages('deadLetters', [messages.deadLetter]),
      bindings: publishBinding(true),
    },
    replayDeadLetters: {
      action: 'receive',
      channel: channelRef('deadLetterQueue'),
      title: 'Inspect, replay or purge parked messages',
      summary:
        'An operator, with `npm run dlq -- list | replay <queue> | purge <queue> --yes` (docs/operations.md).',
      tags: tags('operator'),
      messages: channelMessages('deadLetterQueue', [messages.deadLetter]),
      bindings: consumeBinding,
    },
  };
}
