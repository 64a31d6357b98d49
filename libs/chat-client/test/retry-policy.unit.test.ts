import { ERROR_CODES } from '@chat/errors';
import { backoffDelay, isRetryableCode } from '../src/retry-policy';

describe('isRetryableCode', () => {
  it('when a code is in libs/errors’ catalogue, then it is retryable exactly when the catalogue says so', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect({ code, retryable: isRetryableCode(code) }).toEqual({
        code,
        retryable: entry.retryable,
      });
    }
  });

  it('when a code is unknown or a property of Object.prototype, then it is final', () => {
    expect(isRetryableCode('SOMETHING_NEW')).toBe(false);
    expect(isRetryableCode('toString')).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('when tries keep failing, then the delay doubles from baseMs up to maxMs, drawn from the upper half', () => {
    const options = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((attempt) => backoffDelay(attempt, options, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3, 4, 5, 9].map((attempt) => backoffDelay(attempt, options, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });

  it('when no options are given, then it starts at 250 ms and stops at 10 s', () => {
    expect(backoffDelay(1, undefined, () => 1)).toBe(250);
    expect(backoffDelay(30, undefined, () => 1)).toBe(10_000);
  });
});
