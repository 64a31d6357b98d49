/**
 * Codes the client makes up itself, beside the server's (libs/errors' catalogue, listed in
 * docs/protocol.md): CLOSED (the client was closed before the answer came), NETWORK (a REST
 * request did not reach the server), BAD_RESPONSE (the server answered something that is not
 * the protocol), TOKEN_UNAVAILABLE (getToken failed).
 */
export type ClientErrorCode = 'CLOSED' | 'NETWORK' | 'BAD_RESPONSE' | 'TOKEN_UNAVAILABLE';

export interface ChatClientErrorDetails {
  status?: number;
  retryAfterMs?: number;
  event?: string;
  conversationId?: string;
  cause?: unknown;
}

/** Every failure the client reports: a code to branch on and a message for people. */
export class ChatClientError extends Error {
  /** A server code (BOOKING_REQUIRED, NOT_A_MEMBER, …) or one of ClientErrorCode. */
  readonly code: string;
  /** The HTTP status, for REST failures. */
  readonly status: number | undefined;
  /** For RATE_LIMITED answers that said so: how long to wait before asking again. */
  readonly retryAfterMs: number | undefined;
  /** The client event the server refused (`typing`, `join-conversation`, …), for `error` events. */
  readonly event: string | undefined;
  /** The conversation concerned, where known. */
  readonly conversationId: string | undefined;

  constructor(code: string, message: string, details: ChatClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ChatClientError';
    this.code = code;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.event = details.event;
    this.conversationId = details.conversationId;
  }
}

/** A `{ code, message }` from the server (ack, error event, REST body) as a ChatClientError. */
export function toClientError(
  error: { code?: unknown; message?: unknown } | undefined,
  fallback = 'The server refused the request',
  details: ChatClientErrorDetails = {},
): ChatClientError {
  const code = typeof error?.code === 'string' ? error.code : 'BAD_RESPONSE';
  const message = typeof error?.message === 'string' ? error.message : fallback;
  return new ChatClientError(code, message, details);
}
