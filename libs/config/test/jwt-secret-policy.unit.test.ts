import {
  ConfigError,
  DEV_JWT_SECRET,
  assertJwtConfigured,
  developmentSecretRefusal,
  isLoopbackHost,
  jwtEnv,
  loadConfig,
  sharedEnv,
} from '@chat/config';

function problemsOf(run: () => unknown): readonly { env: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '::1',
    'localhost',
    'LOCALHOST',
    '::ffff:127.0.0.1',
  ])('when the host is %s, then it is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '192.168.1.10',
    '10.0.0.1',
    'chat.internal',
    'localhost.example.com',
    '128.0.0.1',
  ])('when the host is %s, then it is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('developmentSecretRefusal', () => {
  it('when in development on loopback, then the development secret may be used', () => {
    expect(developmentSecretRefusal({ nodeEnv: 'development', host: '127.0.0.1' })).toBeUndefined();
  });

  it.each([
    ['test', '127.0.0.1', /with NODE_ENV=test/],
    ['production', '127.0.0.1', /with NODE_ENV=production/],
    ['development', '0.0.0.0', /when listening on 0\.0\.0\.0/],
    ['development', '192.168.1.10', /when listening on 192\.168\.1\.10/],
  ])('when NODE_ENV=%s on %s, then it is refused saying why', (nodeEnv, host, why) => {
    expect(developmentSecretRefusal({ nodeEnv, host })).toMatch(why);
  });
});

describe('assertJwtConfigured', () => {
  const load = (env: Record<string, string>) =>
    assertJwtConfigured(loadConfig({ nodeEnv: sharedEnv.nodeEnv, ...jwtEnv }, env));

  it('when NODE_ENV=production and JWT_SECRET is the development secret, then JWT_SECRET is named', () => {
    expect(problemsOf(() => load({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET }))).toEqual([
      {
        env: 'JWT_SECRET',
        message:
          'is the public development secret, which must never be used with NODE_ENV=production: set the secret TutorGo auth signs with',
      },
    ]);
  });

  it('when the development secret is used outside production, or production has its own secret, then it passes', () => {
    expect(problemsOf(() => load({ NODE_ENV: 'development', JWT_SECRET: DEV_JWT_SECRET }))).toEqual(
      [],
    );
    expect(problemsOf(() => load({ NODE_ENV: 'test', JWT_SECRET: DEV_JWT_SECRET }))).toEqual([]);
    expect(
      problemsOf(() =>
        load({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-enough-length' }),
      ),
    ).toEqual([]);
  });

  it('when neither JWT_SECRET nor JWT_PUBLIC_KEY is set, then JWT_SECRET is named', () => {
    expect(problemsOf(() => load({}))).toEqual([
      { env: 'JWT_SECRET', message: 'is required unless JWT_PUBLIC_KEY is set' },
    ]);
  });
});

describe('JWT_CLOCK_TOLERANCE_SEC and CHAT_SERVICE_HOST', () => {
  it('when unset, then the tolerance is 30 s and npm start listens on 127.0.0.1', () => {
    expect(
      loadConfig(
        { tolerance: sharedEnv.jwtClockToleranceSec, host: sharedEnv.chatServiceHost },
        {},
      ),
    ).toEqual({ tolerance: 30, host: '127.0.0.1' });
  });

  it('when the tolerance is 0, then it is accepted (exact exp)', () => {
    expect(
      loadConfig({ tolerance: sharedEnv.jwtClockToleranceSec }, { JWT_CLOCK_TOLERANCE_SEC: '0' }),
    ).toEqual({
      tolerance: 0,
    });
  });

  it('when the tolerance is negative or above 300 s, or the host is not an address, then each is named', () => {
    const spec = { tolerance: sharedEnv.jwtClockToleranceSec, host: sharedEnv.chatServiceHost };

    expect(
      problemsOf(() =>
        loadConfig(spec, { JWT_CLOCK_TOLERANCE_SEC: '301', CHAT_SERVICE_HOST: 'not a host' }),
      ),
    ).toEqual([
      { env: 'JWT_CLOCK_TOLERANCE_SEC', message: 'must be at most 300' },
      { env: 'CHAT_SERVICE_HOST', message: 'must be an IP address or a host name' },
    ]);
    expect(problemsOf(() => loadConfig(spec, { JWT_CLOCK_TOLERANCE_SEC: '-1' }))).toEqual([
      { env: 'JWT_CLOCK_TOLERANCE_SEC', message: 'must be 0 or more' },
    ]);
  });
});
