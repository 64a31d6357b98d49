// `npm run test:e2e`: the browser tests (test/e2e/*.e2e.test.ts) — the real system started as
// npm start runs it, driven through Debian's Chromium with playwright-core — with the
// integration project's transform and global setup (a database of its own), one file at a time.
const { join } = require('node:path');
const base = require('../../jest.config.js');

const rootDir = join(__dirname, '..', '..');
const integration = base.projects.find((project) => project.displayName === 'integration');

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  // A journey through the page takes a while; each wait inside it has its own, shorter, limit.
  testTimeout: 180_000,
  forceExit: Boolean(process.env.CI),
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    {
      ...integration,
      rootDir,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
    },
  ],
};
