import type { ErrorCode } from './error-codes';

/**
 * The body every refusal shows a client — an `error` event, a failed ack, a REST error, a
 * rejected send — `{code, message}` with `code` from the catalogue. Extra fields (the client
 * event, its clientMessageId) are added beside it, never instead.
 */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** An HTTP error response's JSON: `{"error": {"code", "message"}}`, the same on every port. */
export interface ErrorResponseBody {
  error: ErrorBody;
}

export function errorResponseBody(error: { code: ErrorCode; message: string }): ErrorResponseBody {
  return { error: { code: error.code, message: error.message } };
}
