import { combineReadiness, metricsAccess, publicReadiness } from '@chat/observability';

describe('ops endpoints', () => {
  const token = 'a-long-enough-ops-token';

  it('when no OPS_TOKEN is configured, then /metrics does not exist on a public port, whatever the request carries', () => {
    expect(metricsAccess(undefined, undefined)).toBe('not-found');
    expect(metricsAccess(`Bearer ${token}`, undefined)).toBe('not-found');
    expect(metricsAccess('Bearer ', '')).toBe('not-found');
  });

  it('when OPS_TOKEN is configured, then only its exact bearer token is allowed', () => {
    expect(metricsAccess(`Bearer ${token}`, token)).toBe('allowed');
    expect(metricsAccess(`bearer ${token}`, token)).toBe('allowed');
    for (const header of [
      undefined,
      '',
      token,
      `Basic ${token}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      'Bearer ',
    ]) {
      expect(metricsAccess(header, token)).toBe('unauthorized');
    }
  });

  it('when readiness fails, then the public answer is 503 with nothing of the report in it', () => {
    const report = {
      status: 'unavailable' as const,
      checks: { postgres: { status: 'unavailable', detail: 'connect ECONNREFUSED 10.0.0.5:5432' } },
    };
    const answer = publicReadiness(report);
    expect(answer).toEqual({
      status: 503,
      body: { status: 'unavailable', error: { code: 'UNAVAILABLE', message: 'Not ready' } },
    });
    expect(JSON.stringify(answer)).not.toMatch(/postgres|10\.0\.0\.5|5432/);
    expect(publicReadiness({ status: 'ok' })).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('when parts are combined, then it is ok only when every part is, with each part under its name', async () => {
    const readiness = combineReadiness({
      a: () => Promise.resolve({ status: 'ok' as const }),
      b: () => Promise.resolve({ status: 'unavailable' as const }),
    });
    expect(await readiness()).toEqual({
      status: 'unavailable',
      services: { a: { status: 'ok' }, b: { status: 'unavailable' } },
    });
  });
});
