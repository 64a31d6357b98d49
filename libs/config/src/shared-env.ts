import { z } from 'zod';
import { NAMESPACE_PATTERN } from '@chat/contracts';
import { ConfigError, envVar } from './define-config';
import { DEV_JWT_SECRET } from './dev-defaults';
import {
  csv,
  host,
  logLevel,
  nonNegativeInt,
  optionalHost,
  port,
  positiveInt,
  url,
} from './parsers';

/**
 * Variables more than one service reads. Each service's config.ts picks the ones it needs and
 * adds its own, so every service has one schema and the README table is generated from them.
 */
export const sharedEnv = {
  nodeEnv: envVar(
    'NODE_ENV',
    z.enum(['development', 'production', 'test']).default('development'),
    'Runtime mode; only development lets npm start fall back to the public development JWT secret, and production refuses that secret outright',
  ),
  logLevel: envVar('LOG_LEVEL', logLevel, 'pino log level'),
  namespace: envVar(
    'CHAT_NAMESPACE',
    z
      .string()
      .regex(NAMESPACE_PATTERN, 'must be 1-32 lowercase letters, digits, _ or -')
      .optional(),
    'Prefix of our exchanges, queues and Redis keys (e.g. "staging" gives staging.chat.commands); unset means no prefix',
  ),
  databaseUrl: envVar(
    'DATABASE_URL',
    url(['postgres', 'postgresql'], 'postgresql://postgres@127.0.0.1:5432/tutorgo_chat'),
    'PostgreSQL connection URL',
  ),
  databasePoolMax: envVar(
    'DATABASE_POOL_MAX',
    positiveInt(10, 200),
    'Largest PostgreSQL pool size per process',
  ),
  databaseStatementTimeoutMs: envVar(
    'DATABASE_STATEMENT_TIMEOUT_MS',
    positiveInt(10_000, 600_000),
    'Longest a single SQL statement may run (PostgreSQL statement_timeout on every pool connection) before it is cancelled and fails as retryable',
  ),
  redisUrl: envVar(
    'REDIS_URL',
    url(['redis', 'rediss'], 'redis://127.0.0.1:6379/0'),
    'Redis connection URL; a path /N selects database N',
  ),
  rabbitmqUrl: envVar(
    'RABBITMQ_URL',
    url(['amqp', 'amqps'], 'amqp://guest:guest@127.0.0.1:5672'),
    'RabbitMQ connection URL; a path /vhost selects the virtual host',
  ),
  jwtSecret: envVar(
    'JWT_SECRET',
    z.string().min(16, 'must be at least 16 characters').optional(),
    'HS256 secret shared with TutorGo auth (required unless JWT_PUBLIC_KEY is set)',
  ),
  jwtPublicKey: envVar(
    'JWT_PUBLIC_KEY',
    z.string().includes('BEGIN PUBLIC KEY', { message: 'must be a PEM public key' }).optional(),
    'PEM public key; when set, RS256 tokens are accepted instead of HS256',
  ),
  jwtIssuer: envVar('JWT_ISSUER', z.string().optional(), 'Required `iss` claim, if set'),
  jwtAudience: envVar('JWT_AUDIENCE', z.string().optional(), 'Required `aud` claim, if set'),
  jwtClockToleranceSec: envVar(
    'JWT_CLOCK_TOLERANCE_SEC',
    nonNegativeInt(30, 300),
    "Seconds of clock skew between TutorGo auth and us allowed on a token's exp and nbf; a socket is disconnected that long after its token's exp",
  ),
  shutdownTimeoutMs: envVar(
    'SHUTDOWN_TIMEOUT_MS',
    positiveInt(10_000, 120_000),
    'How long graceful shutdown may take before the process exits anyway',
  ),
  partitions: envVar(
    'CHAT_PARTITIONS',
    positiveInt(8, 256),
    'Number of chat.send.<p> queues; must be the same for every edge and message-service',
  ),
  chatServicePort: envVar(
    'CHAT_SERVICE_PORT',
    port(3006),
    'The single public port serving /socket.io and /chat in npm start and docker compose',
  ),
  chatServiceHost: envVar(
    'CHAT_SERVICE_HOST',
    host('127.0.0.1'),
    'Interface npm start listens on (CHAT_SERVICE_PORT and MESSAGE_SERVICE_HEALTH_PORT): 127.0.0.1 keeps it on this machine; another (0.0.0.0) needs a JWT_SECRET',
  ),
  serviceHost: envVar(
    'SERVICE_HOST',
    optionalHost,
    'Interface a service run alone listens on (SOCKET_EDGE_PORT, HISTORY_SERVICE_PORT, MESSAGE_SERVICE_HEALTH_PORT); unset: every interface, as in a container. npm run start:cluster sets 127.0.0.1 for its processes, so clients reach them only through its gateway',
  ),
  messageMaxLength: envVar(
    'MESSAGE_MAX_LENGTH',
    positiveInt(4000, 100_000),
    'Longest message body in characters (after trimming); the edge and message-service both check it',
  ),
  opsHost: envVar(
    'OPS_HOST',
    host('127.0.0.1'),
    'Interface of the internal operations server (OPS_PORT); 127.0.0.1 keeps it on this machine, 0.0.0.0 opens it to a private network such as a container network for probes and Prometheus',
  ),
  opsPort: envVar(
    'OPS_PORT',
    port(3007),
    "Port of the internal operations server: GET /metrics, /readyz with each dependency's status and failure detail, /healthz (npm start has one for all three services; services run alone on one machine each need their own)",
  ),
  opsToken: envVar(
    'OPS_TOKEN',
    z.string().min(16, 'must be at least 16 characters').optional(),
    'Bearer token (Authorization: Bearer <token>) that also lets a scraper read /metrics on the public ports; unset, /metrics is served on OPS_PORT only (404 elsewhere)',
  ),
  allowedBookingStatuses: envVar(
    'ALLOWED_BOOKING_STATUSES',
    csv(['confirmed']),
    'Booking statuses that let the two users chat (comma-separated); message-service checks sends by them, socket-edge shows presence only to such partners',
  ),
  completedGraceDays: envVar(
    'COMPLETED_GRACE_DAYS',
    nonNegativeInt(0, 3650),
    'When ALLOWED_BOOKING_STATUSES includes completed: days after the session ended that a completed booking still lets the pair chat (and see each other online); 0 means no time limit',
  ),
  frontendUrls: envVar(
    'FRONTEND_URL',
    csv(['http://localhost:3000']),
    'Origins allowed by CORS (comma-separated)',
  ),
} as const;

/**
 * What every service that runs the chat pipeline reads: mode, logs, namespace, PostgreSQL,
 * RabbitMQ, partitions and shutdown. Services spread it into their schema and add their own.
 */
export const serviceEnv = {
  nodeEnv: sharedEnv.nodeEnv,
  logLevel: sharedEnv.logLevel,
  namespace: sharedEnv.namespace,
  databaseUrl: sharedEnv.databaseUrl,
  databasePoolMax: sharedEnv.databasePoolMax,
  databaseStatementTimeoutMs: sharedEnv.databaseStatementTimeoutMs,
  rabbitmqUrl: sharedEnv.rabbitmqUrl,
  partitions: sharedEnv.partitions,
  shutdownTimeoutMs: sharedEnv.shutdownTimeoutMs,
} as const;

/**
 * The operations endpoints every process serves: /metrics and detailed /readyz on
 * OPS_HOST:OPS_PORT; on public ports only /healthz, a bare /readyz and, with OPS_TOKEN, /metrics.
 */
export const opsEnv = {
  opsHost: sharedEnv.opsHost,
  opsPort: sharedEnv.opsPort,
  opsToken: sharedEnv.opsToken,
} as const;

/**
 * Which bookings let a pair chat (an EntitlementPolicy of @chat/db): message-service refuses
 * sends by it and socket-edge tells presence by it, so both must read the same values.
 */
export const bookingPolicyEnv = {
  allowedBookingStatuses: sharedEnv.allowedBookingStatuses,
  completedGraceDays: sharedEnv.completedGraceDays,
} as const;

/** What a service that verifies TutorGo tokens reads (see assertJwtConfigured). */
export const jwtEnv = {
  jwtSecret: sharedEnv.jwtSecret,
  jwtPublicKey: sharedEnv.jwtPublicKey,
  jwtIssuer: sharedEnv.jwtIssuer,
  jwtAudience: sharedEnv.jwtAudience,
  jwtClockToleranceSec: sharedEnv.jwtClockToleranceSec,
} as const;

/**
 * JWT_SECRET and JWT_PUBLIC_KEY are each optional, but a service that verifies tokens needs one;
 * and in production it must not be the public development secret, with which anyone can forge
 * any user's token.
 */
export function assertJwtConfigured(config: {
  nodeEnv: string;
  jwtSecret?: string;
  jwtPublicKey?: string;
}): void {
  if (!config.jwtSecret && !config.jwtPublicKey) {
    throw new ConfigError([
      { env: 'JWT_SECRET', message: 'is required unless JWT_PUBLIC_KEY is set' },
    ]);
  }
  if (config.nodeEnv === 'production' && config.jwtSecret === DEV_JWT_SECRET) {
    throw new ConfigError([
      {
        env: 'JWT_SECRET',
        message:
          'is the public development secret, which must never be used with NODE_ENV=production: set the secret TutorGo auth signs with',
      },
    ]);
  }
}
