// Ends the test output with one plain line, "N passed, N failed", that CI reads. A suite that
// could not run at all (a syntax error, a failing beforeAll) counts as failed too. It is written
// at exit, so that it comes after Jest's own summary, and straight to the file descriptor,
// because Jest's forced exit silences process.stderr.write.
const { writeSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.once('exit', () => writeSync(2, `\n${line}\n`));
  }
}
module.exports = SummaryReporter;
