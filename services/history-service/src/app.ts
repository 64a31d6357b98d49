import express from 'express';
import { createTokenVerifier, type TokenVerifier } from '@chat/auth';
import { buildAsyncApiDocument, chatTopology, type Broker } from '@chat/broker';
import { DEV_JWT_SECRET } from '@chat/config';
import { topologyNames } from '@chat/contracts';
import {
  createBookingStore,
  createConversationStore,
  createMessageStore,
  createOutboxStore,
  type Db,
} from '@chat/db';
import {
  createMetricsRegistry,
  type HealthReport,
  type Logger,
  type Registry,
} from '@chat/observability';
import { createRateLimit, type RedisClient } from '@chat/redis';
import { isDemoPageOn, isDemoSignInOn, type HistoryServiceConfig } from './config';
import { CHAT_CLIENT_DIST } from './entry-points/http/chat-client-bundle';
import { seedDemoBookings } from './domain/demo-bookings';
import { createDemoTokens } from './adapters/demo-tokens';
import { DEMO_USERS } from './domain/demo-users';
import { createAuthentication } from './entry-points/http/middleware/authentication';
import { createCors } from './entry-points/http/middleware/cors';
import { createErrorHandler, notFound } from './entry-points/http/middleware/error-handler';
import { createRateLimiting } from './entry-points/http/middleware/rate-limiting';
import { createRequestContext } from './entry-points/http/middleware/request-context';
import { createRequestMetrics } from './entry-points/http/middleware/request-metrics';
import { createMarkRead } from './domain/mark-read';
import { createHistoryMetrics } from './adapters/history-metrics';
import { buildOpenApiDocument } from './entry-points/http/openapi-document';
import { startOutboxRelay } from './adapters/outbox-relay';
import { createConversationRoutes } from './entry-points/http/conversation-routes';
import { createDemoRoutes } from './entry-points/http/demo-routes';
import { createDocsRoutes } from './entry-points/http/docs-routes';
import { createHealthRoutes, createHistoryReadiness } from './entry-points/http/health-routes';
import { createMessageRoutes } from './entry-points/http/message-routes';
import { createMetricsRoutes } from './entry-points/http/metrics-routes';

export interface HistoryAppDeps {
  config: HistoryServiceConfig;
  logger: Logger;
  db: Db;
  redis: RedisClient;
  /** Default: one built from the config's JWT settings. */
  verifier?: TokenVerifier;
  /**
   * Called after a commit that added outbox rows, so they are published at once; default
   * nothing (a relay's poll still finds them). startHistoryService passes its relay's kick.
   */
  onOutboxWrite?: () => void;
  /**
   * The process's registry, created in the composition root: http_request_duration_seconds
   * goes there and GET /metrics serves all of it. Default: a registry of its own, without
   * process metrics.
   */
  metrics?: Registry;
  /** Where the demo page finds chat-client.browser.js; default libs/chat-client/dist. */
  demoBundleDir?: string;
}

/**
 * The REST API as an Express app, with nothing started: /chat/conversations/:userId,
 * /chat/messages/:conversationId, PATCH /chat/conversations/:conversationId/read,
 * /chat/openapi.json, /chat/asyncapi.json, /chat/docs, /healthz, /readyz (ok or unavailable
 * only), for OPS_TOKEN holders /metrics, and in development the demo page under /chat/demo.
 * Anything else is a 404 in the
 * error shape. It is a plain request listener, so it can share an http.Server with Socket.IO:
 * create the server with it (`http.createServer(app)`) before Socket.IO attaches, and Socket.IO
 * takes /socket.io while the app gets the rest.
 */
export function createHistoryApp(deps: HistoryAppDeps): express.Application {
  const { config, db, logger } = deps;
  const registry =
    deps.metrics ?? createMetricsRegistry('history-service', { defaultMetrics: false });
  const verifier =
    deps.verifier ??
    createTokenVerifier({
      secret: config.jwtSecret,
      publicKey: config.jwtPublicKey,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      clockToleranceSec: config.jwtClockToleranceSec,
    });
  const conversations = createConversationStore(db);
  const messages = createMessageStore(db);
  const markRead = createMarkRead({
    transaction: db.transaction,
    conversations,
    outbox: createOutboxStore(db),
    names: topologyNames(config.namespace),
    onOutboxWrite: deps.onOutboxWrite,
  });
  const guard = [
    createAuthentication(verifier),
    createRateLimiting(
      createRateLimit(deps.redis, {
        name: 'rest',
        points: config.rateLimit,
        windowSec: config.rateWindowSec,
      }),
    ),
  ];

  const app = express();
  app.disable('x-powered-by');
  // Private, per-user data: no validators, no caching anywhere on the way.
  app.set('etag', false);
  // Repeated parameters arrive as arrays (and are refused); no nested objects from brackets.
  app.set('query parser', 'simple');

  app.use(createRequestMetrics(createHistoryMetrics(registry)));
  app.use(createRequestContext(logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(createCors(config.frontendUrls));
  app.use(
    createHealthRoutes({ readiness: createHistoryReadiness({ db, redis: deps.redis }), logger }),
  );
  app.use(createMetricsRoutes(registry, config.opsToken));
  app.use(createDocsRoutes({ openapi: buildOpenApiDocument(), asyncapi: buildAsyncApiDocument() }));
  if (isDemoPageOn(config)) {
    app.use(
      createDemoRoutes({
        users: DEMO_USERS,
        tokens: isDemoSignInOn(config) ? createDemoTokens(DEV_JWT_SECRET) : undefined,
        bundleDir: deps.demoBundleDir ?? CHAT_CLIENT_DIST,
      }),
    );
  }
  app.use(createConversationRoutes({ conversations, markRead, guard }));
  app.use(createMessageRoutes({ conversations, messages, guard }));
  app.use(notFound);
  app.use(createErrorHandler(logger));
  return app;
}

export interface HistoryServiceDeps extends Omit<HistoryAppDeps, 'onOutboxWrite'> {
  /** Publishes the outbox: read receipts and chat.conversation.read.v1. */
  broker: Broker;
}

export interface HistoryService {
  /** Mount it on an http.Server (see createHistoryApp); the caller listens and owns the server. */
  readonly app: express.Application;
  /** PostgreSQL and Redis checked, with why a check failed: for the ops server only. */
  readiness(): Promise<HealthReport>;
  /** Stops the outbox relay after its batch in hand; the caller closes server, broker, Redis, db. */
  close(): Promise<void>;
}

/**
 * Declares the chat topology (the exchanges the outbox publishes to), starts the outbox relay
 * (which first publishes whatever an earlier process left pending) and builds the app.
 */
export async function startHistoryService(deps: HistoryServiceDeps): Promise<HistoryService> {
  const { config, broker } = deps;
  await broker.addTopology(chatTopology(topologyNames(config.namespace), config.partitions));
  const relay = startOutboxRelay({
    outbox: createOutboxStore(deps.db),
    broker,
    logger: deps.logger,
    pollIntervalMs: config.outboxPollMs,
    retentionMs: config.outboxRetentionHours * 3_600_000,
  });
  const log = deps.logger.child({ module: 'history' });
  if (isDemoSignInOn(config)) {
    const seeded = await seedDemoBookings(createBookingStore(deps.db));
    log.info(
      { users: DEMO_USERS.map((user) => user.userId), bookingsSeeded: seeded },
      'demo page at /chat/demo, signing in its demo users with the development secret',
    );
  } else if (isDemoPageOn(config)) {
    log.info('demo page at /chat/demo; its sign-in needs the development secret of npm start');
  }
  const app = createHistoryApp({ ...deps, onOutboxWrite: relay.kick });
  log.info('history-service ready');
  return {
    app,
    readiness: createHistoryReadiness({ db: deps.db, redis: deps.redis }),
    close: () => relay.close(),
  };
}
