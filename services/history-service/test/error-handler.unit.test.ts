import { toHttpError } from '../src/entry-points/http/middleware/error-handler';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('toHttpError', () => {
  it('when a query was cancelled by the statement timeout, then the client gets a retryable 504 TIMEOUT without the SQL', () => {
    const error = toHttpError(pgError('57014', 'canceling statement due to statement timeout'));
    expect(error).toMatchObject({ code: 'TIMEOUT', status: 504, retryable: true });
    expect(error.message).not.toMatch(/statement/);
  });

  it('when PostgreSQL is away, then 503 UNAVAILABLE; when a query fails on its own, then 500 INTERNAL', () => {
    expect(toHttpError(pgError('57P01', 'terminating connection'))).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
    });
    expect(toHttpError(pgError('42P01', 'relation does not exist'))).toMatchObject({
      code: 'INTERNAL',
      status: 500,
    });
  });
});
