import { z } from 'zod';

/**
 * TutorGo user ids (UUIDs or slugs such as "user-123"). The underscore is excluded because it
 * separates the two ids of a conversation id, which must split back unambiguously.
 */
export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be 1-100 letters, digits or dashes');

export const conversationIdSchema = z
  .string()
  .max(201)
  .regex(/^[A-Za-z0-9-]{1,100}_[A-Za-z0-9-]{1,100}$/, 'must be "<userId>_<userId>"');

export const clientMessageIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_:.-]{1,100}$/, 'must be 1-100 letters, digits or _ : . -');

export type UserId = z.infer<typeof userIdSchema>;
export type ConversationId = z.infer<typeof conversationIdSchema>;

/** The conversation id of two users: the smaller id (by code point), an underscore, the larger. */
export function canonicalConversationId(a: string, b: string): string {
  return a < b ? `${a}_${b}` : `${b}_${a}`;
}

/** The two participants of a canonical conversation id, or undefined when it is not one. */
export function conversationParticipants(conversationId: string): [string, string] | undefined {
  if (!conversationIdSchema.safeParse(conversationId).success) return undefined;
  const [low, high] = conversationId.split('_') as [string, string];
  return low < high ? [low, high] : undefined;
}

/** The other participant of a conversation, or undefined when `userId` is not one of them. */
export function conversationPartner(conversationId: string, userId: string): string | undefined {
  const pair = conversationParticipants(conversationId);
  if (!pair) return undefined;
  if (pair[0] === userId) return pair[1];
  if (pair[1] === userId) return pair[0];
  return undefined;
}
