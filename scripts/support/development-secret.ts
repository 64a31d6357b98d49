import {
  ConfigError,
  DEV_JWT_SECRET,
  developmentSecretRefusal,
  loadConfig,
  sharedEnv,
} from '@chat/config';
import type { Logger } from '@chat/observability';

/**
 * A missing JWT_SECRET (without JWT_PUBLIC_KEY) falls back to the development secret `npm run
 * token` signs with, but only on a developer's own machine: NODE_ENV=development and
 * CHAT_SERVICE_HOST on loopback. Anywhere else the start stops, naming JWT_SECRET and why. Shared
 * by npm start and npm run start:cluster, which passes the result on to its child processes.
 */
export function applyDevelopmentSecret(env: NodeJS.ProcessEnv): boolean {
  if (env.JWT_SECRET?.trim() || env.JWT_PUBLIC_KEY?.trim()) return false;
  const { nodeEnv, host } = loadConfig(
    { nodeEnv: sharedEnv.nodeEnv, host: sharedEnv.chatServiceHost },
    env,
  );
  const refusal = developmentSecretRefusal({ nodeEnv, host });
  if (refusal !== undefined) throw new ConfigError([{ env: 'JWT_SECRET', message: refusal }]);
  env.JWT_SECRET = DEV_JWT_SECRET;
  return true;
}

/** What npm start and npm run start:cluster say when applyDevelopmentSecret fell back. */
export function warnOfDevelopmentSecret(logger: Logger, host: string): void {
  logger.warn(
    { host },
    'JWT_SECRET is not set: using the PUBLIC development secret. Anyone can forge a token for any user with it; it is accepted only because NODE_ENV=development and the server listens on loopback. Set JWT_SECRET before exposing this server',
  );
}
