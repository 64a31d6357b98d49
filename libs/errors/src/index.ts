export { AppError, isAppError, toAppError } from './app-error';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes';
