import jwt from 'jsonwebtoken';
import type { DemoTokenResponse, DemoUser } from '@chat/contracts';

export interface DemoTokens {
  /** An access token of the demo user, as TutorGo auth would issue it. */
  mint(user: DemoUser): DemoTokenResponse;
}

/**
 * Signs demo users' tokens with `secret` (HS256). Only ever given the public development
 * secret (see isDemoSignInOn): a token it makes proves nothing anyone could not forge anyway.
 * `lifetimeSec` default 3600; the client asks again for every connect and on token-expiring.
 */
export function createDemoTokens(
  secret: string,
  options: { lifetimeSec?: number; now?: () => number } = {},
): DemoTokens {
  const lifetimeSec = options.lifetimeSec ?? 3600;
  const now = options.now ?? Date.now;
  return {
    mint(user) {
      const exp = Math.floor(now() / 1000) + lifetimeSec;
      const token = jwt.sign({ userId: user.userId, role: user.role, exp }, secret, {
        algorithm: 'HS256',
      });
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    },
  };
}
