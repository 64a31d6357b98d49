import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Server } from 'socket.io';
import { createTokenVerifier } from '@chat/auth';
import {
  assertQueueWithDeadLetter,
  chatTopology,
  consumeReplacingOld,
  createChatPublisher,
  deadLetterTarget,
  OFFLINE_QUEUE_ARGUMENTS,
  type Broker,
  type Consumer,
} from '@chat/broker';
import { topologyNames } from '@chat/contracts';
import { createBookingStore, createConversationStore, createOutboxStore, type Db } from '@chat/db';
import { coalesceWrites } from '@chat/net';
import { createMetricsRegistry, type Logger, type Registry } from '@chat/observability';
import { createLocalRateLimit, createRateLimit, type RedisClient } from '@chat/redis';
import type { SocketEdgeConfig } from './config';
import { createCommandPublisher } from './adapters/command-publisher';
import { createDeliveryReceipts } from './domain/delivery-receipts';
import { createDeliveryRouter } from './entry-points/broker/delivery-router';
import { createOfflineConsumer } from './entry-points/broker/offline-consumer';
import { redeliverOfflineQueues } from './entry-points/broker/offline-redelivery';
import { createPartitionBacklog } from './domain/partition-backlog';
import { createPendingSends } from './domain/pending-sends';
import { createUserBindings } from './adapters/user-bindings';
import { createEdgeMetrics } from './adapters/edge-metrics';
import { createAuthMiddleware } from './entry-points/socket/auth-middleware';
import { createChatEntitlement } from './domain/chat-entitlement';
import { batchPerTurn } from './domain/conversations-port';
import { registerConnectionLifecycle } from './entry-points/socket/connection-lifecycle';
import { createConnectRateLimit } from './entry-points/socket/connect-rate-limit';
import { createConversationAccess } from './domain/conversation-access';
import { createConversationRooms } from './entry-points/socket/conversation-rooms';
import { createMarkDelivered } from './entry-points/socket/mark-delivered';
import { registerSendMessage } from './entry-points/socket/send-message';
import { startPresenceUpkeep } from './entry-points/socket/presence-upkeep';
import { createSocketAdmission } from './entry-points/socket/socket-admission';
import { createTokenRefresh } from './entry-points/socket/token-refresh';
import { createTypingRelay } from './entry-points/socket/typing-relay';
import type { ChatServer } from './entry-points/socket/chat-socket';
import { createOfflineQueue } from './adapters/offline-queue';
import { createPresence } from './adapters/presence';

export interface SocketEdgeDeps {
  config: SocketEdgeConfig;
  logger: Logger;
  /** The HTTP server Socket.IO attaches to; the caller listens and owns it. */
  httpServer: HttpServer;
  db: Db;
  redis: RedisClient;
  broker: Broker;
  /**
   * Where its metrics go (chat_sockets_connected, chat_send_requests_total, …): the process's
   * registry, created in the composition root. Default: a registry of its own, without
   * process metrics.
   */
  metrics?: Registry;
}

export interface SocketEdge {
  readonly io: ChatServer;
  /** Resolves once every socket connected now has disconnected and been cleaned up. */
  cleanedUp(): Promise<void>;
  /** Disconnects every socket, waits for their clean-up and stops consuming. */
  close(): Promise<void>;
}

const PRESENCE_TTL_SEC = 90;
/** How long shutdown waits for the outcome of sends in flight before answering UNAVAILABLE. */
const SEND_DRAIN_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSocketEdge(deps: SocketEdgeDeps): Promise<SocketEdge> {
  const { config, broker } = deps;
  const logger = deps.logger.child({ module: 'socket-edge', nodeId: config.nodeId });
  const { redis } = deps;
  const names = topologyNames(config.namespace);
  const metrics = createEdgeMetrics(
    deps.metrics ?? createMetricsRegistry('socket-edge', { defaultMetrics: false }),
  );
  const publisher = createChatPublisher(broker, names);
  const conversations = createConversationStore(deps.db);
  const presence = createPresence(redis, config.nodeId, PRESENCE_TTL_SEC);
  const offlineQueue = createOfflineQueue(redis, {
    cap: config.offlineQueueCap,
    ttlSec: config.offlineQueueTtlSec,
  });
  const pendingSends = createPendingSends(config.sendAckTimeoutMs, config.sendDelayedNoticeMs);
  const commands = createCommandPublisher({ broker, names });
  const backlog = createPartitionBacklog(config.partitions, config.sendBacklogPerPartition);
  const rateLimit = createRateLimit(redis, {
    name: 'send',
    what: 'messages',
    points: config.sendRateLimit,
    windowSec: config.sendRateWindowSec,
  });
  const bindings = createUserBindings({ broker, names, nodeId: config.nodeId, logger });
  const policy = {
    allowedStatuses: config.allowedBookingStatuses,
    completedGraceDays: config.completedGraceDays,
  };
  // Typing goes only to partners a booking lets the typist chat with now, as sends do.
  const entitlement = createChatEntitlement({
    bookings: createBookingStore(deps.db),
    policy,
  });
  const receipts = createDeliveryReceipts({
    transaction: deps.db.transaction,
    conversations,
    outbox: createOutboxStore(deps.db),
    publish: broker.publish,
    names,
    logger,
  });

  await broker.addTopology(chatTopology(names, config.partitions));
  await broker.addTopology(bindings.topology);

  const io: ChatServer = new Server(deps.httpServer, {
    cors: { origin: config.frontendUrls, credentials: true },
    maxHttpBufferSize: config.maxPayloadBytes,
    serveClient: false,
  });
  const verifier = createTokenVerifier({
    secret: config.jwtSecret,
    publicKey: config.jwtPublicKey,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    clockToleranceSec: config.jwtClockToleranceSec,
  });
  // Cheapest refusal first: a flood from one address costs neither signature checks nor Redis
  // presence; then who it is; then whether that user has room for one more socket.
  io.use(
    createConnectRateLimit({
      rateLimit: createRateLimit(redis, {
        name: 'connect',
        what: 'connection attempts from this address',
        points: config.connectRateLimitPerIp,
        windowSec: config.connectRateWindowSec,
      }),
      trustProxyHops: config.trustProxyHops,
      logger,
    }),
  );
  io.use(createAuthMiddleware(verifier));
  io.use(
    createSocketAdmission({ io, presence, maxSocketsPerUser: config.maxSocketsPerUser, logger }),
  );
  const registerConversationRooms = createConversationRooms({
    access: createConversationAccess({
      bookings: createBookingStore(deps.db),
      conversations,
    }),
    joinRateLimit: createLocalRateLimit({
      name: 'join',
      what: 'conversations joined',
      points: config.joinRateLimit,
      windowSec: config.joinRateWindowSec,
    }),
    maxRoomsPerSocket: config.maxRoomsPerSocket,
    logger,
  });
  const registerTyping = createTypingRelay({
    entitlement,
    presence,
    publisher,
    rateLimit: createLocalRateLimit({
      name: 'typing',
      what: 'typing events',
      points: config.typingRateLimit,
      windowSec: config.typingRateWindowSec,
    }),
    metrics,
    logger,
  });
  const registerMarkDelivered = createMarkDelivered({
    receipts,
    rateLimit: createLocalRateLimit({
      name: 'mark-delivered',
      what: 'delivery receipts',
      points: config.markDeliveredRateLimit,
      windowSec: config.markDeliveredRateWindowSec,
    }),
    metrics,
    logger,
  });
  const tokenRefresh = createTokenRefresh({
    verifier,
    rateLimit: createLocalRateLimit({
      name: 'auth',
      what: 'token refreshes',
      points: config.authRateLimit,
      windowSec: config.authRateWindowSec,
    }),
    logger,
  });
  // A socket lives as long as the verifier accepts its token, and hears of its end in time.
  const tokenExpiry = Object.freeze({
    graceMs: config.jwtClockToleranceSec * 1000,
    noticeMs: config.tokenExpiryNoticeSec * 1000,
  });
  // A sender's ack and its message-sent leave in one write, and so does whatever else one turn
  // emits to a socket. 'upgrade' hands over the TCP socket the websocket transport will use.
  deps.httpServer.on('upgrade', (_request, socket: Socket) => coalesceWrites(socket));

  const cleanups = new Set<Promise<void>>();
  let stopping = false;
  // Presence goes to partners whom a booking lets chat now, by message-service's send rule.
  const connectLookups = batchPerTurn(conversations, policy);
  io.on('connection', (socket) => {
    metrics.socketConnected();
    socket.once('disconnect', () => metrics.socketDisconnected());
    registerSendMessage(socket, {
      commands,
      partitions: config.partitions,
      pendingSends,
      backlog,
      sendAckTimeoutMs: config.sendAckTimeoutMs,
      accepting: () => !stopping,
      rateLimit,
      maxPendingSends: config.maxPendingSendsPerSocket,
      messageMaxLength: config.messageMaxLength,
      metrics,
      logger,
    });
    registerConversationRooms(socket);
    registerTyping(socket);
    registerMarkDelivered(socket);
    socket.on('auth', tokenRefresh);
    const cleanup = registerConnectionLifecycle(socket, {
      bindings,
      presence,
      offlineQueue,
      conversations: connectLookups,
      publisher,
      logger,
      tokenExpiry,
    });
    cleanups.add(cleanup);
    void cleanup.finally(() => cleanups.delete(cleanup));
  });

  const router = createDeliveryRouter({
    io,
    pendingSends,
    offlineQueue,
    metrics,
    logger,
    onConversationClosed: (conversationId) => entitlement.forget(conversationId),
  });
  const handleOffline = createOfflineConsumer({
    broker,
    names,
    presence,
    offlineQueue,
    metrics,
    logger,
  });
  const consumers: Consumer[] = [
    await broker.consume(bindings.queue, router.handle, { prefetch: 200 }),
    // Every edge consumes chat.offline; one still declared as a classic queue is replaced by
    // whichever edges find it so (order does not matter there: each delivery carries its seq).
    await consumeReplacingOld(broker, {
      queue: names.offlineQueue,
      exchange: names.unroutedExchange,
      routingKey: '',
      declare: (channel, name) =>
        assertQueueWithDeadLetter(
          channel,
          names,
          name,
          OFFLINE_QUEUE_ARGUMENTS,
          names.deadLetterQueue(names.offlineQueue),
        ),
      consume: (name) =>
        broker.consume(name, handleOffline, {
          prefetch: 50,
          deadLetter: deadLetterTarget(names, names.offlineQueue),
          // Keeping a message offline fails only while Redis is away: retried until it is
          // back, never parked for it (a malformed delivery is still parked at once, as poison).
          maxAttempts: Number.POSITIVE_INFINITY,
        }),
      logger,
    }),
  ];

  broker.onReconnect(() => {
    redeliverOfflineQueues({
      localUsers: () => bindings.localUsers(),
      offlineQueue,
      router,
      takerId: `${config.nodeId}-reconnect`,
      logger,
    }).catch((error: unknown) => logger.error({ err: error }, 'offline redelivery failed'));
  });

  // A node killed without clean-up leaves its sockets in presence: every node announces that it
  // is alive, and one at a time reaps the nodes that stopped (issue #11).
  const upkeep = await startPresenceUpkeep({
    io,
    redis,
    nodeId: config.nodeId,
    aliveTtlSec: config.aliveTtlSec,
    presenceTtlSec: PRESENCE_TTL_SEC,
    presence,
    publisher,
    conversations: connectLookups,
    logger,
  });

  const refreshTimer = setInterval(
    () => {
      presence
        .refresh(bindings.localUsers())
        .catch((error: unknown) => logger.warn({ err: error }, 'presence refresh failed'));
    },
    (PRESENCE_TTL_SEC * 1000) / 3,
  );
  refreshTimer.unref();

  logger.info('socket-edge ready');
  let closing: Promise<void> | undefined;
  return {
    io,
    async cleanedUp() {
      await Promise.all(cleanups);
    },
    close() {
      closing ??= (async () => {
        clearInterval(refreshTimer);
        upkeep.stopReaping();
        // Every send gets its answer before its socket goes: new ones are refused, those in
        // flight get their outcome for a while (deliveries still arrive), the rest UNAVAILABLE.
        stopping = true;
        const deadline = Date.now() + SEND_DRAIN_MS;
        while (pendingSends.size > 0 && Date.now() < deadline) await sleep(20);
        pendingSends.failAll({
          code: 'UNAVAILABLE',
          message: 'The server is shutting down, send again',
        });
        io.disconnectSockets(true);
        await Promise.all(cleanups);
        // Receipts already answered are announced before the broker connection goes.
        await receipts.close();
        // After the clean-up: whatever it could not remove, the reaper removes once this is gone.
        await upkeep
          .stopAnnouncing()
          .catch((error: unknown) => logger.warn({ err: error }, 'alive key not withdrawn'));
        await Promise.all(consumers.map((consumer) => consumer.cancel()));
        await new Promise<void>((resolve) => io.close(() => resolve()));
      })();
      return closing;
    },
  };
}
