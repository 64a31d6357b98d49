// Two projects: unit tests of pure logic (no services) and integration tests against real
// PostgreSQL, Redis and RabbitMQ, which get a database and namespace of their own per run.
const moduleNameMapper = { '^@chat/(.*)$': '<rootDir>/libs/$1/src' };
// swc rewrites the @chat/* aliases itself, so they also resolve in globalSetup, which Jest
// loads without moduleNameMapper.
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { target: 'es2022', baseUrl: __dirname, paths: { '@chat/*': ['libs/*/src'] } } },
  ],
};

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests talk to real services; unit tests finish far below this anyway.
  testTimeout: 30_000,
  // In CI a run must end with its verdict even when a failed suite leaked a connection; locally
  // Jest's "did not exit" warning keeps such leaks visible.
  forceExit: Boolean(process.env.CI),
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{libs,services}/**/test/**/*.unit.test.ts',
        '<rootDir>/test/**/*.unit.test.ts',
      ],
      moduleNameMapper,
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: [
        '<rootDir>/{libs,services}/**/test/**/*.int.test.ts',
        '<rootDir>/test/**/*.int.test.ts',
      ],
      moduleNameMapper,
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
    },
  ],
};
