/**
 * The id of the conversation between two users: the smaller id (by code point), an underscore,
 * the larger (docs/protocol.md, "Identities"); the same rule as libs/contracts'
 * canonicalConversationId, which is not imported at run time to keep zod out of the bundle.
 */
export function conversationIdOf(userA: string, userB: string): string {
  return userA < userB ? `${userA}_${userB}` : `${userB}_${userA}`;
}

/** The other member of a conversation, or undefined when `userId` is not one of its two. */
export function partnerIn(conversationId: string, userId: string): string | undefined {
  const [low, high, ...rest] = conversationId.split('_');
  if (rest.length > 0 || !low || !high) return undefined;
  if (low === userId) return high;
  if (high === userId) return low;
  return undefined;
}
