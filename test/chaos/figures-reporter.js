// Prints the figures of `npm run chaos` after Jest's summary: each scenario's report, then the
// markdown table that docs/reliability.md keeps, with the machine and the date.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { cpus, loadavg, totalmem, release } = require('node:os');

class ChaosFiguresReporter {
  onRunComplete() {
    const file = process.env.CHAT_CHAOS_RESULTS;
    if (!file || !existsSync(file)) return;
    const reports = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    if (reports.length === 0) return;
    const cpu = cpus();
    const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GB, ${process.platform} ${release()}, Node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`;
    const lines = [
      '',
      `Code under test: ${codeVersion()}`,
      '',
      '=== Chaos figures ===',
      ...reports.map((report) => report.text),
      '',
      `Machine: ${machine}; run ended ${new Date().toISOString()}; results in ${file}`,
      '',
      reports[0].header,
      ...reports.map((report) => report.row),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** The commit, and whether the code under test had uncommitted changes when the run ended. */
function codeVersion() {
  try {
    const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--', 'services', 'libs', 'scripts')
      .split('\n')
      .filter(Boolean).length;
    return changed
      ? `${commit} + ${changed} uncommitted files under services/, libs/, scripts/`
      : commit;
  } catch {
    return 'unknown (no git)';
  }
}

module.exports = ChaosFiguresReporter;
