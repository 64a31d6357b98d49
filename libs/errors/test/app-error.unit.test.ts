import {
  AppError,
  ERROR_CODE_LIST,
  ERROR_CODES,
  isAppError,
  isErrorCode,
  toAppError,
} from '@chat/errors';

describe('the error catalogue', () => {
  it.each(Object.entries(ERROR_CODES))(
    'when %s is listed, then it has an HTTP error status, a message and a retry hint that agrees with its status',
    (code, entry) => {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.message.length).toBeGreaterThan(0);
      // A 5xx is the server's trouble and worth another try; a 4xx other than 409/429 is the caller's.
      if (entry.status >= 500)
        expect({ code, retryable: entry.retryable }).toEqual({ code, retryable: true });
      if ([400, 401, 403, 404, 409, 413].includes(entry.status)) {
        expect({ code, retryable: entry.retryable }).toEqual({ code, retryable: false });
      }
    },
  );

  it('when a value is checked, then only the catalogue own codes are codes', () => {
    expect(isErrorCode('BOOKING_REQUIRED')).toBe(true);
    expect(isErrorCode('booking_required')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
  });
});

describe('AppError', () => {
  it('when made from a code, then it carries the catalogue status, retry hint and message', () => {
    const error = new AppError('RATE_LIMITED');
    expect(error).toBeInstanceOf(Error);
    expect(isAppError(error)).toBe(true);
    expect([error.code, error.status, error.retryable, error.message]).toEqual([
      'RATE_LIMITED',
      429,
      true,
      ERROR_CODES.RATE_LIMITED.message,
    ]);
  });

  it('when given its own message and a cause, then the body shows the message and never the cause', () => {
    const cause = new Error('password=hunter2 in a connection string');
    const error = new AppError('UNAVAILABLE', 'The database is away', { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'UNAVAILABLE',
      message: 'The database is away',
    });
  });

  it('when anything else is thrown, then toAppError makes it INTERNAL with the generic message and keeps it as the cause', () => {
    const thrown = new TypeError('cannot read properties of undefined');
    const error = toAppError(thrown);
    expect([error.code, error.status, error.message]).toEqual([
      'INTERNAL',
      500,
      ERROR_CODES.INTERNAL.message,
    ]);
    expect(error.cause).toBe(thrown);
    expect(toAppError('a string')).toMatchObject({ code: 'INTERNAL', cause: 'a string' });
  });

  it('when an AppError is passed to toAppError, then it comes back as it is', () => {
    const error = new AppError('NOT_A_MEMBER');
    expect(toAppError(error)).toBe(error);
  });
});

describe('ERROR_CODE_LIST', () => {
  it('when listed, then it holds exactly the catalogue codes, each a code by isErrorCode', () => {
    expect([...ERROR_CODE_LIST].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(ERROR_CODE_LIST.every(isErrorCode)).toBe(true);
  });
});
