// `npm run chaos`: the full fault suite (test/chaos/*.chaos.test.ts), with the integration
// project's transform and global setup, one file at a time, its figures printed at the end.
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const base = require('../../jest.config.js');

const rootDir = join(__dirname, '..', '..');
const integration = base.projects.find((project) => project.displayName === 'integration');
// Tests append their reports here; the figures reporter (same process) prints them.
process.env.CHAT_CHAOS_RESULTS ??= join(tmpdir(), `tutorgo-chat-chaos-${Date.now()}.jsonl`);

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  testTimeout: 30_000,
  forceExit: Boolean(process.env.CI),
  reporters: [
    'default',
    '<rootDir>/scripts/jest-summary-reporter.js',
    '<rootDir>/test/chaos/figures-reporter.js',
  ],
  projects: [
    {
      ...integration,
      rootDir,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos.test.ts'],
    },
  ],
};
