import type { ErrorBody } from './error-body';
import { ERROR_CODES, type ErrorCode } from './error-codes';

/**
 * The one error type the services throw on purpose. `code` is part of our contract with
 * clients (socket `error` events, REST bodies, broker rejections); `status` is its HTTP status.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CODES[code];
    super(message ?? entry.message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.retryable = entry.retryable;
  }

  toJSON(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Turns anything thrown into an AppError whose message is safe to show a client: an AppError
 * passes through, anything else becomes INTERNAL with a generic message (the cause is kept
 * for the log, never sent).
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError('INTERNAL', undefined, { cause: error });
}
