export { AppError, isAppError, toAppError } from './app-error';
export { errorResponseBody, type ErrorBody, type ErrorResponseBody } from './error-body';
export { bearerTokenRequired, noSuchEndpoint } from './http-errors';
export { ERROR_CODE_LIST, ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes';
