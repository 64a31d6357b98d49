import { z } from 'zod';
import {
  bookingEventSchema,
  chatDomainEventSchema,
  deliveryBatchV1Schema,
  deliveryV1Schema,
  sendMessageBatchV1Schema,
  sendMessageCommandV1Schema,
  type ChatDomainEvent,
  type DeliveryEvent,
} from '@chat/contracts';

/** Version of the AMQP bindings the document uses. */
export const AMQP_BINDING_VERSION = '0.3.0';

export type JsonObject = Record<string, unknown>;

/** An AsyncAPI 3.0 Message Object, as far as the document uses it. */
export interface AsyncApiMessage {
  name: string;
  title: string;
  summary: string;
  description?: string;
  contentType: 'application/json';
  headers?: JsonObject;
  payload: JsonObject;
  correlationId?: { description: string; location: string };
  bindings: { amqp: { messageType?: string; bindingVersion: string } };
}

/**
 * The JSON Schema of a zod contract, draft-07 (the base of AsyncAPI's Schema Object), as the
 * contract reads a message: an object admits fields it does not name, as our consumers do, so
 * a field added within a version (see the versioning rules) keeps old messages and readers valid.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' });
  return rest;
}

const correlationIdInPayload = {
  description:
    'Carried from the client event through the broker to the database write and back; also the AMQP correlationId property',
  location: '$message.payload#/correlationId',
};

const amqp = (messageType?: string) => ({
  amqp: { ...(messageType && { messageType }), bindingVersion: AMQP_BINDING_VERSION },
});

/** Headers of a delivery the offline consumer routes once more (the user came online meanwhile). */
const deliveryHeaders = z.object({
  'x-offline-hops': z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'Set by the chat.offline consumer when it routes a new-message again because the user came online meanwhile; one more hop is never taken',
    ),
});

/** Headers a consumer adds when it parks a message (libs/broker consumers.ts). */
const deadLetterHeaders = z.object({
  'x-poison-reason': z
    .string()
    .optional()
    .describe(
      'Why the consumer parked it: the contract field at fault, or "failed N times: <error>"',
    ),
  'x-original-exchange': z.string().optional().describe('The exchange it was published to'),
  'x-original-routing-key': z.string().optional().describe('Its routing key there'),
  'x-original-queue': z.string().optional().describe('The queue whose consumer parked it'),
  'x-death': z
    .array(z.record(z.string(), z.unknown()))
    .optional()
    .describe(
      "RabbitMQ's own record, when the broker dead-lettered it (a send partition's x-delivery-limit reached) rather than a consumer",
    ),
});

/** Who publishes each delivery and when; an event missing here is described by its schema alone. */
const DELIVERY_NOTES: Partial<Record<DeliveryEvent, string>> = {
  'new-message':
    'A stored message, to its receiver: message-service after the commit. With no socket of the user on any edge it goes to chat.offline and into their Redis offline queue.',
  'message-sent':
    "The stored message, to its sender: message-service after the commit, alone or with the other answers of its batch in a chat.delivery-batch.v1. Settles the send's acknowledgement and becomes the `message-sent` event.",
  'send-rejected':
    "A send message-service refused (code and message from the error catalogue), to its sender, alone or in a chat.delivery-batch.v1: the edge turns it into the `error` event and the send's acknowledgement.",
  'messages-read':
    'The other member marked the conversation read: history-service, through its outbox.',
  'conversation-closed':
    "The booking that let the two chat ended, to both members (message-service, on a booking event); their sockets leave the conversation's room.",
  'user-online':
    'A partner whose booking allows chatting now connected their first socket: socket-edge.',
  'user-offline':
    "A partner's last socket left, or the edge holding it died: socket-edge (the dead-node reaper for the latter).",
};

/** Who publishes each domain event and when; a new event must say so here (the compiler checks). */
export const DOMAIN_EVENT_PUBLISHERS: Record<
  ChatDomainEvent['type'],
  { service: string; when: string }
> = {
  'chat.message.created.v1': { service: 'message-service', when: 'once a message is stored' },
  'chat.conversation.read.v1': {
    service: 'history-service',
    when: 'through its outbox, after a mark-read that changed something',
  },
  'chat.conversation.closed.v1': {
    service: 'message-service',
    when: "when a booking event ends the pair's last booking that lets them chat",
  },
};

export function bookingEventMessage(): AsyncApiMessage {
  return {
    name: 'booking',
    title: 'Booking event',
    summary: "TutorGo's booking service says a booking changed.",
    description:
      'The routing key is `booking.<status>`. When it names a status (`booking.confirmed`, `booking.cancelled`, `booking.completed`, `booking.pending`) a missing `status` is taken from it and a present one must agree; another key (`booking.updated`, …) needs `status` in the body. The newest event per booking wins (by `occurredAt`); duplicates are no-ops; studentId and tutorId must differ. A malformed event is parked on chat.bookings.dlq with its reason.',
    contentType: 'application/json',
    payload: jsonSchemaOf(bookingEventSchema),
    bindings: amqp(),
  };
}

export function sendCommandMessages(): Record<string, AsyncApiMessage> {
  const command = sendMessageCommandV1Schema.shape.type.value;
  const batch = sendMessageBatchV1Schema.shape.type.value;
  return {
    [command]: {
      name: command,
      title: 'Send a chat message',
      summary: 'One send a socket-edge accepted, for message-service to store and deliver.',
      description:
        'The edge has authenticated the sender and validated the payload; message-service checks every rule again (a broker message may be forged). `(senderId, clientMessageId)` stores once. A command still unstored at `expiresAt` is refused with TIMEOUT, never stored later. Its outcome comes back as a delivery to the sender: `message-sent` or `send-rejected`.',
      contentType: 'application/json',
      payload: jsonSchemaOf(sendMessageCommandV1Schema),
      correlationId: correlationIdInPayload,
      bindings: amqp(command),
    },
    [batch]: {
      name: batch,
      title: 'Send commands, batched',
      summary:
        'The send commands one edge accepted for one partition during one turn of its event loop.',
      description:
        'In acceptance order; one broker message, confirm and ack instead of one per chat message. Acked when every command in it is done; a retryable failure of any gives it back whole (the stored ones are found stored next time); commands that can never be handled park it whole. No correlationId property: each command carries its own.',
      contentType: 'application/json',
      payload: jsonSchemaOf(sendMessageBatchV1Schema),
      bindings: amqp(batch),
    },
  };
}

/** One message per member of the contracts' delivery union, keyed `delivery.<event>`. */
export function deliveryMessages(): Record<string, AsyncApiMessage> {
  return Object.fromEntries(
    deliveryV1Schema.options.map((option) => {
      const event = option.shape.event.value;
      const type = option.shape.type.value;
      const message: AsyncApiMessage = {
        name: `${type}:${event}`,
        title: `Delivery: ${event}`,
        summary: `To every socket of one user, wherever they are connected: the edge emits \`${event}\`.`,
        ...(DELIVERY_NOTES[event] && { description: DELIVERY_NOTES[event] }),
        contentType: 'application/json',
        headers: jsonSchemaOf(deliveryHeaders),
        payload: jsonSchemaOf(option),
        correlationId: correlationIdInPayload,
        bindings: amqp(type),
      };
      return [`delivery.${event}`, message];
    }),
  );
}

export function deliveryBatchMessage(): AsyncApiMessage {
  const type = deliveryBatchV1Schema.shape.type.value;
  return {
    name: type,
    title: 'Deliveries, batched',
    summary: "The answers to one batch of send commands, to all their senders' edges at once.",
    description:
      "message-service publishes the answers (message-sent, send-rejected) of one stored batch as one message: routing key user.<first sender>, the other senders' user.<id> in the AMQP BCC header, which RabbitMQ removes before delivering, so every edge holding one of them gets one copy. An edge handles the items of its own users and skips the rest; chat.offline drops a batch (answers mean nothing to a sender with no socket). A lone answer goes as a plain chat.delivery.v1.",
    contentType: 'application/json',
    payload: jsonSchemaOf(deliveryBatchV1Schema),
    bindings: amqp(type),
  };
}

/** One message per member of the contracts' domain-event union, keyed by its type. */
export function domainEventMessages(): Record<string, AsyncApiMessage> {
  return Object.fromEntries(
    chatDomainEventSchema.options.map((option) => {
      const type = option.shape.type.value;
      const message: AsyncApiMessage = {
        name: type,
        title: type,
        summary: `Published by ${DOMAIN_EVENT_PUBLISHERS[type].service}, ${DOMAIN_EVENT_PUBLISHERS[type].when}.`,
        description:
          'The routing key is the type. At least once: the same event may come twice, with the same ids. The AMQP correlationId property carries the correlation id of what caused it, when there is one.',
        contentType: 'application/json',
        payload: jsonSchemaOf(option),
        bindings: amqp(type),
      };
      return [type, message];
    }),
  );
}

export function deadLetterMessage(): AsyncApiMessage {
  return {
    name: 'dead-letter',
    title: 'Parked message',
    summary: 'A message a consumer could never handle, parked with its reason.',
    description:
      'The body and the AMQP properties (messageId, correlationId, type) are those of the original message, unchanged: see its own message here. `npm run dlq -- replay <queue>` publishes it back to x-original-exchange with x-original-routing-key.',
    contentType: 'application/json',
    headers: jsonSchemaOf(deadLetterHeaders),
    payload: jsonSchemaOf(
      z
        .unknown()
        .describe('The original body, as it arrived (often malformed: that is why it was parked)'),
    ),
    bindings: amqp(),
  };
}
