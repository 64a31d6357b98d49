import { z } from 'zod';
import { userIdSchema } from '@chat/contracts';

/**
 * The claims of a TutorGo access token as its auth service issues them. Unknown claims are
 * ignored; the ones we read must have these shapes. `email` and `role` may be null, which
 * reads as absent.
 */
export const accessTokenClaimsSchema = z.object({
  userId: z.string({ message: 'userId must be a string' }).optional(),
  sub: z.string({ message: 'sub must be a string' }).optional(),
  email: z.string({ message: 'email must be a string' }).nullish(),
  role: z.string({ message: 'role must be a string' }).nullish(),
  exp: z.number({ message: 'exp must be a number' }),
});

export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** The user a verified access token stands for. */
export interface AuthUser {
  userId: string;
  email?: string;
  role?: string;
  /** The token's `exp`: when it stops being accepted (give or take the clock tolerance). */
  expiresAt: Date;
}

/**
 * Reads the user out of verified claims, or returns why it cannot: `userId` wins over `sub`
 * (TutorGo puts the id in `userId`; `sub` is the standard fallback), and the id must be one
 * our conversation ids can carry.
 */
export function readAuthUser(claims: AccessTokenClaims): AuthUser | { problem: string } {
  const userId = claims.userId ?? claims.sub;
  if (userId === undefined) return { problem: 'The token carries no user id' };
  if (!userIdSchema.safeParse(userId).success) {
    return { problem: 'The token user id must be 1-100 letters, digits or dashes' };
  }
  return {
    userId,
    ...(claims.email != null && { email: claims.email }),
    ...(claims.role != null && { role: claims.role }),
    expiresAt: new Date(claims.exp * 1000),
  };
}
