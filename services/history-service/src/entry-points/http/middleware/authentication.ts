import type { RequestHandler, Response } from 'express';
import { extractBearerToken, type AuthUser, type TokenVerifier } from '@chat/auth';
import { AppError } from '@chat/errors';

/**
 * Requires `Authorization: Bearer <access token>` and records the caller for the handlers
 * (`callerOf`). A missing, malformed, forged or expired token is 401.
 */
export function createAuthentication(verifier: TokenVerifier): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const token = extractBearerToken(header);
    if (token === undefined) {
      throw new AppError(
        'UNAUTHENTICATED',
        header === undefined
          ? 'A bearer token is required'
          : 'The Authorization header must be "Bearer <token>"',
      );
    }
    res.locals.user = verifier.verify(token);
    next();
  };
}

/** The authenticated caller; only for handlers behind createAuthentication. */
export function callerOf(res: Response): AuthUser {
  const user = res.locals.user as AuthUser | undefined;
  if (!user) throw new Error('callerOf used on a route without authentication');
  return user;
}
