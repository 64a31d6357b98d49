import { BlockList, isIP } from 'node:net';

/**
 * The JWT secret `npm start` and `npm run token` fall back to on a developer machine. It is
 * public (it is in the repository): anyone can forge any user's token with it. So `npm start`
 * uses it only in development mode on a loopback interface (see developmentSecretAllowed), and
 * no service starts with it in production (see assertJwtConfigured).
 */
export const DEV_JWT_SECRET = 'tutorgo-chat-dev-secret-change-me-in-production';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether listening on `host` keeps the server reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  if (family === 4) return loopback.check(host, 'ipv4');
  if (family === 6) return loopback.check(host, 'ipv6');
  return false;
}

/**
 * Why the development secret may not stand in for a missing JWT_SECRET, or undefined when it
 * may: only a developer's own machine (development mode, listening on loopback only) may run
 * with a secret everyone knows.
 */
export function developmentSecretRefusal(options: {
  nodeEnv: string;
  host: string;
}): string | undefined {
  if (options.nodeEnv !== 'development') {
    return `is required with NODE_ENV=${options.nodeEnv} (the development secret is only used with NODE_ENV=development)`;
  }
  if (!isLoopbackHost(options.host)) {
    return `is required when listening on ${options.host} (the development secret is only used on a loopback CHAT_SERVICE_HOST such as 127.0.0.1)`;
  }
  return undefined;
}
