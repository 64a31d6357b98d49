/**
 * Names of our RabbitMQ exchanges and queues and the Redis key prefix, all under one namespace
 * (CHAT_NAMESPACE) so that environments and test runs sharing a broker never see each other.
 */
export interface TopologyNames {
  commandsExchange: string;
  sendQueue(partition: number): string;
  deliveryExchange: string;
  unroutedExchange: string;
  offlineQueue: string;
  edgeQueue(nodeId: string): string;
  eventsExchange: string;
  deadLetterExchange: string;
  deadLetterQueue(queue: string): string;
  bookingQueue: string;
  redisKeyPrefix: string;
}

/** What a namespace may be (CHAT_NAMESPACE): it goes into queue names and Redis keys. */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function topologyNames(namespace: string | undefined): TopologyNames {
  const name = (base: string) => (namespace ? `${namespace}.${base}` : base);
  return {
    commandsExchange: name('chat.commands'),
    sendQueue: (partition) => name(`chat.send.${partition}`),
    deliveryExchange: name('chat.delivery'),
    unroutedExchange: name('chat.delivery.unrouted'),
    offlineQueue: name('chat.offline'),
    edgeQueue: (nodeId) => name(`chat.edge.${nodeId}`),
    eventsExchange: name('chat.events'),
    deadLetterExchange: name('chat.dlx'),
    deadLetterQueue: (queue) => `${queue}.dlq`,
    bookingQueue: name('chat.bookings'),
    redisKeyPrefix: namespace ? `${namespace}:chat:` : 'chat:',
  };
}

/**
 * The namespace a Redis key of ours belongs to: '' for the unprefixed one (`chat:…`), undefined
 * for a key that is not ours. `chat:chat:…` is namespace "chat"'s, not the unprefixed one's.
 */
export function redisKeyNamespace(key: string): string | undefined {
  const separator = key.indexOf(':chat:');
  const candidate = separator > 0 ? key.slice(0, separator) : undefined;
  if (candidate !== undefined && NAMESPACE_PATTERN.test(candidate)) return candidate;
  return key.startsWith('chat:') ? '' : undefined;
}

/**
 * TutorGo's topic exchange of booking events (BOOKING_EVENTS_EXCHANGE's default). Never
 * prefixed by the namespace: TutorGo owns it.
 */
export const DEFAULT_BOOKING_EVENTS_EXCHANGE = 'tutorgo.events';

/** Routing keys. */
export const sendRoutingKey = (partition: number) => `send.${partition}`;
export const userRoutingKey = (userId: string) => `user.${userId}`;

/**
 * The partition of a conversation: FNV-1a over its id, finalised, mod `partitions`. Every edge must compute
 * the same value, so this is the one definition.
 */
export function conversationPartition(conversationId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    hash ^= conversationId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // FNV's low bits depend only on the low bits of the input; murmur3's finaliser mixes the high
  // bits down so that ids differing in a digit spread over every partition.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % partitions;
}
