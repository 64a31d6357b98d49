import {
  assertJwtConfigured,
  envVar,
  jwtEnv,
  loadConfig,
  opsEnv,
  parse,
  serviceEnv,
  sharedEnv,
  type ConfigOf,
} from '@chat/config';

export const historyServiceEnv = {
  ...serviceEnv,
  ...jwtEnv,
  ...opsEnv,
  redisUrl: sharedEnv.redisUrl,
  frontendUrls: sharedEnv.frontendUrls,
  port: envVar(
    'HISTORY_SERVICE_PORT',
    parse.port(3002),
    'Port of history-service when it runs on its own',
  ),
  host: sharedEnv.serviceHost,
  rateLimit: envVar(
    'HISTORY_RATE_LIMIT',
    parse.positiveInt(300, 100_000),
    'REST requests one user may make per HISTORY_RATE_WINDOW_SEC',
  ),
  rateWindowSec: envVar(
    'HISTORY_RATE_WINDOW_SEC',
    parse.positiveInt(60, 3600),
    'Window of HISTORY_RATE_LIMIT',
  ),
  outboxPollMs: envVar(
    'OUTBOX_POLL_INTERVAL_MS',
    parse.positiveInt(1000, 60_000),
    'How often the outbox relay looks for events a crash or a broker outage left unpublished',
  ),
  outboxRetentionHours: envVar(
    'OUTBOX_RETENTION_HOURS',
    parse.positiveInt(168, 24 * 365),
    'How long published outbox rows are kept before the relay deletes them',
  ),
} as const;

export type HistoryServiceConfig = ConfigOf<typeof historyServiceEnv>;

export function loadHistoryServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
): HistoryServiceConfig {
  const config = loadConfig(historyServiceEnv, env);
  assertJwtConfigured(config);
  return config;
}
