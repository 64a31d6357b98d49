import { z } from 'zod';
import { DEFAULT_BOOKING_EVENTS_EXCHANGE } from '@chat/contracts';
import {
  bookingPolicyEnv,
  envVar,
  loadConfig,
  opsEnv,
  parse,
  serviceEnv,
  sharedEnv,
  type ConfigOf,
} from '@chat/config';

export const messageServiceEnv = {
  ...serviceEnv,
  ...opsEnv,
  messageMaxLength: sharedEnv.messageMaxLength,
  commandPrefetch: envVar(
    'COMMAND_PREFETCH',
    parse.positiveInt(32, 1000),
    'Send commands one message-service instance holds per partition; messages of one conversation still run one at a time',
  ),
  ...bookingPolicyEnv,
  partitionRebalanceMs: envVar(
    'PARTITION_REBALANCE_MS',
    parse.positiveInt(5000, 60_000),
    'How often each message-service instance reads who is live and rebalances the send partitions among them (a start, stop or kill is balanced within about twice this)',
  ),
  bookingEventsExchange: envVar(
    'BOOKING_EVENTS_EXCHANGE',
    z.string().min(1).default(DEFAULT_BOOKING_EVENTS_EXCHANGE),
    "TutorGo's topic exchange with booking.* events (not prefixed: TutorGo owns it)",
  ),
  eventIncludesText: envVar(
    'CHAT_EVENT_INCLUDE_TEXT',
    parse.boolean(true),
    'Whether chat.message.created.v1 on the platform-wide chat.events exchange carries the message text; false leaves it out (ids, seq and createdAt only), for when no consumer needs it',
  ),
  healthPort: envVar(
    'MESSAGE_SERVICE_HEALTH_PORT',
    parse.port(3003),
    "Port of message-service's probes: /healthz, and /readyz saying only ok (200) or unavailable (503); the detail and /metrics are on OPS_PORT",
  ),
  healthHost: sharedEnv.serviceHost,
  bookingServiceUrl: envVar(
    'BOOKING_SERVICE_URL',
    parse.url(['http', 'https']).optional(),
    "Base URL of TutorGo's booking service, asked about pairs the booking projection knows nothing about; unset turns that fallback off",
  ),
  bookingServicePath: envVar(
    'BOOKING_SERVICE_PATH',
    z
      .string()
      .refine((value) => value.startsWith('/'), 'must start with /')
      .refine(
        (value) => value.includes('{userA}') && value.includes('{userB}'),
        'must contain {userA} and {userB}',
      )
      .default('/bookings/entitlement?userA={userA}&userB={userB}'),
    'Path and query of the booking lookup under BOOKING_SERVICE_URL; {userA} and {userB} are replaced by the two user ids',
  ),
  bookingServiceTimeoutMs: envVar(
    'BOOKING_SERVICE_TIMEOUT_MS',
    parse.positiveInt(2000, 60_000),
    'How long one booking lookup may take before it counts as failed',
  ),
  bookingBreakerErrorPercent: envVar(
    'BOOKING_BREAKER_ERROR_PERCENT',
    parse.positiveInt(50, 100),
    'Share of failed booking lookups (in a 10 s window) above which the circuit breaker opens',
  ),
  bookingBreakerVolumeThreshold: envVar(
    'BOOKING_BREAKER_VOLUME_THRESHOLD',
    parse.positiveInt(5, 10_000),
    'Booking lookups the 10 s window must hold before the breaker may open',
  ),
  bookingBreakerResetMs: envVar(
    'BOOKING_BREAKER_RESET_MS',
    parse.positiveInt(30_000, 3_600_000),
    'How long the open breaker fails fast before one probe lookup may close it again',
  ),
  bookingCacheTtlMs: envVar(
    'BOOKING_CACHE_TTL_MS',
    parse.nonNegativeInt(30_000, 3_600_000),
    "How long the booking service's answer about a pair is reused; 0 turns the cache off",
  ),
} as const;

export type MessageServiceConfig = ConfigOf<typeof messageServiceEnv>;

export function loadMessageServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
): MessageServiceConfig {
  return loadConfig(messageServiceEnv, env);
}
