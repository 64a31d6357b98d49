import jwt from 'jsonwebtoken';

/** The HS256 secret tests sign with; give it to the verifier or service under test. */
export const TEST_JWT_SECRET = 'test-secret-at-least-32-characters-long';

export interface MintTokenOptions {
  /** HMAC secret; default TEST_JWT_SECRET. Ignored when `privateKey` is given. */
  secret?: string;
  /**
   * Lifetime in seconds or as "15m", "1h", …; default '1h'. Not applied when `claims` sets `exp`.
   * `null` leaves `exp` out: a token that never expires, which the services refuse.
   */
  expiresIn?: string | number | null;
  /** Merged over `{ userId }`; pass `userId: undefined` to leave the user id out. */
  claims?: Record<string, unknown>;
  /** Signing algorithm; default 'HS256', or 'RS256' when `privateKey` is given. */
  algorithm?: jwt.Algorithm;
  /** PEM private key for RS256 (or other asymmetric) tokens. */
  privateKey?: string;
}

/** A signed token shaped like a TutorGo access token: `{ userId, ...claims }` with an `exp`. */
export function mintToken(userId: string, options: MintTokenOptions = {}): string {
  const claims: Record<string, unknown> = { userId, ...options.claims };
  const key = options.privateKey ?? options.secret ?? TEST_JWT_SECRET;
  const algorithm = options.algorithm ?? (options.privateKey ? 'RS256' : 'HS256');
  const signOptions: jwt.SignOptions = { algorithm };
  // jsonwebtoken refuses expiresIn when the payload already has an exp.
  if (!Object.hasOwn(claims, 'exp') && options.expiresIn !== null) {
    signOptions.expiresIn = (options.expiresIn ?? '1h') as jwt.SignOptions['expiresIn'];
  }
  return jwt.sign(claims, key, signOptions);
}
