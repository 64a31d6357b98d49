import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}
// The reporter is CommonJS that Jest loads by path, as .ci/run's runs do.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { addToTotals } = require('../scripts/jest-summary-reporter.js') as {
  addToTotals(file: string, counts: Counts): Counts;
};

describe('the summary line across runs (CHAT_TEST_TOTALS)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'summary-totals-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('when the file is empty (mktemp), then the first run counts alone; the next adds to it', () => {
    const file = join(folder, 'empty');
    writeFileSync(file, '');
    expect(addToTotals(file, { passed: 700, failed: 0, skipped: 1 })).toEqual({
      passed: 700,
      failed: 0,
      skipped: 1,
    });
    expect(addToTotals(file, { passed: 3, failed: 1, skipped: 0 })).toEqual({
      passed: 703,
      failed: 1,
      skipped: 1,
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ passed: 703, failed: 1, skipped: 1 });
  });

  it('when the file does not exist yet, then it is created with the run’s counts', () => {
    const file = join(folder, 'missing');
    expect(addToTotals(file, { passed: 2, failed: 0, skipped: 0 })).toEqual({
      passed: 2,
      failed: 0,
      skipped: 0,
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ passed: 2, failed: 0, skipped: 0 });
  });
});
