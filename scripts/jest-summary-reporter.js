// Ends the test output with one plain line, "N passed, N failed", that CI reads. A suite that
// could not run at all (a syntax error, a failing beforeAll) counts as failed too. It is written
// at exit, so that it comes after Jest's own summary, and straight to the file descriptor,
// because Jest's forced exit silences process.stderr.write.
//
// With CHAT_TEST_TOTALS naming a file, the counts of the runs before (npm test, then npm run
// test:e2e in .ci/run) are kept there and the line says the sum, so the last line is the total.
const { readFileSync, writeFileSync, writeSync } = require('node:fs');

/** Adds `counts` to those kept in `file` (none at first), keeps the sum there and returns it. */
function addToTotals(file, counts) {
  let before = { passed: 0, failed: 0, skipped: 0 };
  try {
    before = { ...before, ...JSON.parse(readFileSync(file, 'utf8')) };
  } catch {
    // No run before this one (or an empty file from mktemp).
  }
  const total = {
    passed: before.passed + counts.passed,
    failed: before.failed + counts.failed,
    skipped: before.skipped + counts.skipped,
  };
  writeFileSync(file, JSON.stringify(total));
  return total;
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    let counts = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    if (process.env.CHAT_TEST_TOTALS) counts = addToTotals(process.env.CHAT_TEST_TOTALS, counts);
    const { passed, failed, skipped } = counts;
    const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => writeSync(2, `\n${line}\n`));
  }
}
module.exports = SummaryReporter;
// For its test.
module.exports.addToTotals = addToTotals;
