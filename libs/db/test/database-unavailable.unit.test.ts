import { isDatabaseUnavailable, isRetryableDatabaseError, isStatementTimeout } from '@chat/db';

const errorWith = (fields: Record<string, unknown>, message = 'failed') =>
  Object.assign(new Error(message), fields);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', errorWith({ code: 'ECONNREFUSED' })],
    ['a reset connection', errorWith({ code: 'ECONNRESET' })],
    ['an unknown host', errorWith({ code: 'ENOTFOUND' })],
    ['a connection exception (class 08)', errorWith({ code: '08006' })],
    ['a server shutting down', errorWith({ code: '57P01' })],
    ['a server starting up', errorWith({ code: '57P03' })],
    ['too many connections', errorWith({ code: '53300' })],
    ['the pool timing out', errorWith({ name: 'KnexTimeoutError' })],
    ['a connection terminated', new Error('Connection terminated unexpectedly')],
    [
      'a connection terminated mid-query, as knex reports it',
      new Error('insert into messages … - Connection terminated unexpectedly'),
    ],
    ['a wrapped refusal', new Error('ping failed', { cause: errorWith({ code: 'ECONNREFUSED' }) })],
  ])('when the error is %s, then the database counts as unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a missing table', errorWith({ code: '42P01' })],
    ['a unique violation', errorWith({ code: '23505' })],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('when the error is %s, then it is not an availability problem', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isStatementTimeout', () => {
  it('when PostgreSQL cancelled the statement (57014), directly or as a cause, then it is a timeout and retryable', () => {
    const timeout = errorWith({ code: '57014' }, 'canceling statement due to statement timeout');
    for (const error of [timeout, new Error('query failed', { cause: timeout })]) {
      expect(isStatementTimeout(error)).toBe(true);
      expect(isRetryableDatabaseError(error)).toBe(true);
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });

  it('when the error is another query failure, then it is neither a timeout nor retryable', () => {
    const error = errorWith({ code: '42P01' });
    expect(isStatementTimeout(error)).toBe(false);
    expect(isRetryableDatabaseError(error)).toBe(false);
  });
});
