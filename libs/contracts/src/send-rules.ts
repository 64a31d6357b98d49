import { AppError } from '@chat/errors';
import { canonicalConversationId } from './ids';

export interface SendAttempt {
  conversationId: string;
  senderId: string;
  receiverId: string;
  message: string;
}

/**
 * The rules of a send that go beyond types, checked by the edge (to answer fast) and again by
 * message-service (a broker message may be forged). Returns the body to store: trimmed.
 */
export function checkSendRules(attempt: SendAttempt, maxLength: number): string {
  if (attempt.receiverId === attempt.senderId) {
    throw new AppError('VALIDATION_FAILED', 'You cannot send a message to yourself');
  }
  if (attempt.conversationId !== canonicalConversationId(attempt.senderId, attempt.receiverId)) {
    throw new AppError('INVALID_CONVERSATION');
  }
  const body = attempt.message.trim();
  if (body.length === 0) throw new AppError('VALIDATION_FAILED', 'message must not be empty');
  // PostgreSQL text cannot hold NUL; refusing it here beats a store that fails on every retry.
  if (body.includes('\u0000')) {
    throw new AppError('VALIDATION_FAILED', 'message must not contain NUL characters');
  }
  if (body.length > maxLength) {
    throw new AppError('PAYLOAD_TOO_LARGE', `message must be at most ${maxLength} characters`);
  }
  return body;
}
