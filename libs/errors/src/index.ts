export { AppError, isAppError, toAppError } from './app-error';
export type { ErrorBody } from './error-body';
export { ERROR_CODE_LIST, ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes';
