/**
 * The catalogue of error codes clients may see. Adding a code is fine; renaming or removing
 * one breaks clients that branch on it.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, retryable: false, message: 'The request is not valid' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: 'The payload is too large' },
  UNAUTHENTICATED: { status: 401, retryable: false, message: 'Authentication is required' },
  TOKEN_EXPIRED: { status: 401, retryable: false, message: 'The token has expired' },
  FORBIDDEN: { status: 403, retryable: false, message: 'Not allowed' },
  NOT_A_MEMBER: { status: 404, retryable: false, message: 'Conversation not found' },
  NOT_FOUND: { status: 404, retryable: false, message: 'Not found' },
  INVALID_CONVERSATION: {
    status: 400,
    retryable: false,
    message: 'conversationId must be the canonical pair of sender and receiver',
  },
  BOOKING_REQUIRED: {
    status: 403,
    retryable: false,
    message: 'You can only message users you have a confirmed booking with',
  },
  BOOKING_CHECK_UNAVAILABLE: {
    status: 503,
    retryable: true,
    message: 'The booking check is unavailable, try again shortly',
  },
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests, slow down' },
  OVERLOADED: {
    status: 503,
    retryable: true,
    message: 'The chat is busy; send again in a moment',
  },
  TOO_MANY_SOCKETS: {
    status: 429,
    retryable: true,
    message: 'Too many connections open for this user; close one and connect again',
  },
  TOO_MANY_ROOMS: {
    status: 429,
    retryable: false,
    message: 'This connection has joined too many conversations; leave one first',
  },
  TOO_MANY_PENDING_SENDS: {
    status: 429,
    retryable: true,
    message:
      'Too many messages on this connection are waiting for their answer; send again once one is answered',
  },
  CLIENT_MESSAGE_ID_REUSED: {
    status: 409,
    retryable: false,
    message: 'This clientMessageId was already used for another message; use a new one',
  },
  UNAVAILABLE: { status: 503, retryable: true, message: 'The service is temporarily unavailable' },
  TIMEOUT: { status: 504, retryable: true, message: 'The request timed out' },
  INTERNAL: { status: 500, retryable: true, message: 'Internal error' },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code of the catalogue, in its order (for schemas that list them). */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
