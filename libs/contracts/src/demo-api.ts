import { z } from 'zod';
import { userIdSchema } from './ids';

/**
 * The development demo page's own endpoints (history-service, /chat/demo, never in production):
 * which demo users there are, and a token for one of them.
 */

export const demoRoleSchema = z.enum(['student', 'tutor']);

/** A user the demo page can sign in as, and the users they share a confirmed booking with. */
export const demoUserSchema = z.object({
  userId: userIdSchema,
  name: z.string(),
  role: demoRoleSchema,
  partners: z.array(userIdSchema),
});

/** `GET /chat/demo/users.json`: whether signing in is available here, and as whom. */
export const demoUsersResponseSchema = z.object({
  signIn: z.boolean(),
  users: z.array(demoUserSchema),
});

/** `POST /chat/demo/token`: sign in as one of the demo users. */
export const demoTokenRequestSchema = z.strictObject({ userId: userIdSchema });

export const demoTokenResponseSchema = z.object({
  token: z.string(),
  /** ISO 8601. */
  expiresAt: z.string(),
});

export type DemoRole = z.infer<typeof demoRoleSchema>;
export type DemoUser = z.infer<typeof demoUserSchema>;
export type DemoUsersResponse = z.infer<typeof demoUsersResponseSchema>;
export type DemoTokenRequest = z.infer<typeof demoTokenRequestSchema>;
export type DemoTokenResponse = z.infer<typeof demoTokenResponseSchema>;
