import { z } from 'zod';
import { envVar, loadConfig, parse, sharedEnv, type ConfigOf } from '@chat/config';

export const messageServiceEnv = {
  nodeEnv: sharedEnv.nodeEnv,
  logLevel: sharedEnv.logLevel,
  namespace: sharedEnv.namespace,
  databaseUrl: sharedEnv.databaseUrl,
  databasePoolMax: sharedEnv.databasePoolMax,
  rabbitmqUrl: sharedEnv.rabbitmqUrl,
  partitions: sharedEnv.partitions,
  shutdownTimeoutMs: sharedEnv.shutdownTimeoutMs,
  messageMaxLength: envVar(
    'MESSAGE_MAX_LENGTH',
    parse.positiveInt(4000, 100_000),
    'Longest message body in characters (after trimming)',
  ),
  commandPrefetch: envVar(
    'COMMAND_PREFETCH',
    parse.positiveInt(32, 1000),
    'Send commands one message-service instance holds per partition; messages of one conversation still run one at a time',
  ),
  allowedBookingStatuses: envVar(
    'ALLOWED_BOOKING_STATUSES',
    parse.csv(['confirmed']),
    'Booking statuses that let the two users chat (comma-separated)',
  ),
  bookingEventsExchange: envVar(
    'BOOKING_EVENTS_EXCHANGE',
    z.string().min(1).default('tutorgo.events'),
    "TutorGo's topic exchange with booking.* events (not prefixed: TutorGo owns it)",
  ),
} as const;

export type MessageServiceConfig = ConfigOf<typeof messageServiceEnv>;

export function loadMessageServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
): MessageServiceConfig {
  return loadConfig(messageServiceEnv, env);
}
