import {
  assertJwtConfigured,
  ConfigError,
  DEV_JWT_SECRET,
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
  demoPage: envVar(
    'DEMO_PAGE_ENABLED',
    parse.optionalBoolean,
    'Serves the demo chat page at /chat/demo; unset: on with NODE_ENV=development only, and never allowed with NODE_ENV=production. Its sign-in (POST /chat/demo/token) and demo bookings exist only while the service verifies tokens with the public development secret of npm start',
  ),
} as const;

export type HistoryServiceConfig = ConfigOf<typeof historyServiceEnv>;

export function loadHistoryServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
): HistoryServiceConfig {
  const config = loadConfig(historyServiceEnv, env);
  assertJwtConfigured(config);
  if (config.demoPage === true && config.nodeEnv === 'production') {
    throw new ConfigError([
      {
        env: 'DEMO_PAGE_ENABLED',
        message: 'must not be true with NODE_ENV=production: the demo page is for development',
      },
    ]);
  }
  return config;
}

type DemoSettings = Pick<
  HistoryServiceConfig,
  'demoPage' | 'nodeEnv' | 'jwtSecret' | 'jwtPublicKey'
>;

/** Whether /chat/demo is served: DEMO_PAGE_ENABLED, or unset, NODE_ENV=development; never in production. */
export function isDemoPageOn(config: DemoSettings): boolean {
  if (config.nodeEnv === 'production') return false;
  return config.demoPage ?? config.nodeEnv === 'development';
}

/**
 * Whether the demo page may sign its demo users in (POST /chat/demo/token, and their bookings
 * seeded): only while tokens are verified with the public development secret, with which anyone
 * can sign any token anyway. With a real secret (or a public key) the demo mints nothing.
 */
export function isDemoSignInOn(config: DemoSettings): boolean {
  return isDemoPageOn(config) && config.jwtSecret === DEV_JWT_SECRET && !config.jwtPublicKey;
}
