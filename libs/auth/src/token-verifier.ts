import { describeIssue } from '@chat/contracts';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '@chat/errors';
import { accessTokenClaimsSchema, readAuthUser, type AuthUser } from './access-token-claims';
import { notAnAccessTokenReason } from './token-kind';

export interface TokenVerifierConfig {
  /** HS256 secret shared with TutorGo auth. Exactly one of `secret` and `publicKey` is required. */
  secret?: string;
  /** PEM public key (RSA); when given, only RS256 tokens are accepted. */
  publicKey?: string;
  /** Required `iss` claim; default: not checked. */
  issuer?: string;
  /** Required `aud` claim; default: not checked. */
  audience?: string;
  /** Seconds of clock skew allowed on `exp` and `nbf`; default 0. */
  clockToleranceSec?: number;
}

/** Longest clock tolerance accepted: beyond a few minutes it is no longer skew but a longer life. */
const MAX_CLOCK_TOLERANCE_SEC = 300;

export interface TokenVerifier {
  /** The user of a valid access token; throws AppError TOKEN_EXPIRED or UNAUTHENTICATED otherwise. */
  verify(token: unknown): AuthUser;
}

/**
 * Verifies TutorGo access tokens. The algorithm is pinned by the key given (HS256 for a secret,
 * RS256 for a public key), so neither `alg: none` nor an HS256 token forged with the public key
 * as its secret gets through. Error messages never repeat the token.
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const { key, algorithm } = createKey(config);
  const clockTolerance = config.clockToleranceSec ?? 0;
  if (
    !Number.isFinite(clockTolerance) ||
    clockTolerance < 0 ||
    clockTolerance > MAX_CLOCK_TOLERANCE_SEC
  ) {
    throw new Error(`clockToleranceSec must be between 0 and ${MAX_CLOCK_TOLERANCE_SEC} seconds`);
  }
  const options: jwt.VerifyOptions & { complete: true } = {
    complete: true,
    algorithms: [algorithm],
    clockTolerance,
    ...(config.issuer !== undefined && { issuer: config.issuer }),
    ...(config.audience !== undefined && { audience: config.audience }),
  };

  return {
    verify(token: unknown): AuthUser {
      if (token === undefined || token === null || token === '') {
        throw unauthenticated('A token is required');
      }
      if (typeof token !== 'string') throw unauthenticated('The token must be a string');

      let verified: jwt.Jwt;
      try {
        verified = jwt.verify(token, key, options);
      } catch (error) {
        throw toVerificationError(error);
      }

      const { header, payload } = verified;
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw unauthenticated('The token payload is not a claims object');
      }
      const notAccess = notAnAccessTokenReason(
        header as unknown as Record<string, unknown>,
        payload,
      );
      if (notAccess !== undefined) {
        throw unauthenticated(`The token is not an access token: ${notAccess}`);
      }
      // A token without exp would stay valid forever, however long ago it leaked.
      if (payload.exp === undefined) {
        throw unauthenticated(
          'The token has no expiry (exp); tokens that never expire are refused',
        );
      }
      const claims = accessTokenClaimsSchema.safeParse(payload);
      if (!claims.success) {
        throw unauthenticated(`The token claims are invalid: ${describeIssue(claims.error)}`);
      }
      const user = readAuthUser(claims.data);
      if ('problem' in user) throw unauthenticated(user.problem);
      return user;
    },
  };
}

function createKey(config: TokenVerifierConfig): { key: KeyObject; algorithm: jwt.Algorithm } {
  const secret = config.secret || undefined;
  const publicKey = config.publicKey || undefined;
  if (secret !== undefined && publicKey === undefined) {
    return { key: createSecretKey(Buffer.from(secret, 'utf8')), algorithm: 'HS256' };
  }
  if (publicKey === undefined || secret !== undefined) {
    throw new Error('Token verifier needs exactly one of secret (HS256) or publicKey (RS256)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(publicKey);
  } catch (error) {
    throw new Error('Token verifier publicKey is not a valid PEM key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error('Token verifier publicKey must be an RSA key (tokens are RS256)');
  }
  return { key, algorithm: 'RS256' };
}

function unauthenticated(message: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', message, cause === undefined ? undefined : { cause });
}

/** Maps jsonwebtoken's errors, whose messages may name expected values, to our own messages. */
function toVerificationError(error: unknown): AppError {
  if (error instanceof jwt.TokenExpiredError) {
    return new AppError('TOKEN_EXPIRED', 'The token has expired', { cause: error });
  }
  if (error instanceof jwt.NotBeforeError) {
    return unauthenticated('The token is not valid yet', error);
  }
  const reason = error instanceof Error ? error.message : '';
  if (reason === 'invalid signature') {
    return unauthenticated('The token signature is invalid', error);
  }
  if (reason === 'jwt signature is required') {
    return unauthenticated('The token is not signed', error);
  }
  if (reason === 'invalid algorithm') {
    return unauthenticated('The token is signed with an algorithm that is not accepted', error);
  }
  if (reason.startsWith('jwt issuer invalid')) {
    return unauthenticated('The token was issued by an unexpected issuer', error);
  }
  if (reason.startsWith('jwt audience invalid')) {
    return unauthenticated('The token is meant for another audience', error);
  }
  if (reason === 'invalid exp value' || reason === 'invalid nbf value') {
    return unauthenticated('The token has an invalid time claim', error);
  }
  return unauthenticated('The token is malformed', error);
}
