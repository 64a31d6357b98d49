import { isDatabaseUnavailable } from '@chat/db';

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
