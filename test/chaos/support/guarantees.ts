import type { CheckName } from './checks';
import { formatReport, recordReport } from './report';
import type { ScenarioReport } from './scenario';

const TITLES: Record<CheckName, string> = {
  lost: 'every message acked ok is stored exactly once (lost 0)',
  order: "each conversation is stored in each sender's send order",
  undelivered: 'every stored message reached its receiver (live, queued or by resync)',
  duplicates: 'no message is handed to its receiver twice',
  oneAnswer: 'every send-message got exactly one answer',
  completed: 'every message the clients kept sending was stored in the end',
  parked: "nothing is parked on the namespace's dead-letter queues",
  recovery: 'a fresh send is acked within 2 s of the heal',
  cleanStop: 'SIGTERM under load ends the process cleanly (exit 0, "stopped", in time)',
  heldNotRequeued:
    'message-service holds send commands through the outage, none handed back to the broker',
  refusedOnce: 'message-service refuses each send command at most once',
  takeover:
    'the surviving message-service holds every send partition within 15 s of the kill, one consumer per send queue',
};

const COMMON: CheckName[] = [
  'lost',
  'order',
  'undelivered',
  'duplicates',
  'oneAnswer',
  'completed',
  'parked',
  'recovery',
];

export interface ScenarioSuiteOptions {
  /** How long the scenario may run (workload, fault, drain, checks). */
  timeoutMs: number;
  /**
   * Checks that reliably fail because of a known defect, each with the defect named: declared
   * `it.failing`, so the suite stays green while the defect is there and turns red once it is
   * fixed (then drop the entry).
   */
  knownDefects?: Partial<Record<CheckName, string>>;
  /**
   * Checks a known defect can make fail (not on every run): the test stays a plain test, its
   * title names the defect, so a failure reads as that defect.
   */
  defectNotes?: Partial<Record<CheckName, string>>;
  /** Checks beyond the common ones this fault has (e.g. cleanStop). */
  extraChecks?: CheckName[];
}

/**
 * Declares one scenario: it runs once (beforeAll), its report is recorded and printed, and each
 * guarantee is a test of its own reading the report, so one broken guarantee fails one test
 * with the offending messages in its failure message.
 */
export function describeScenario(
  title: string,
  run: () => Promise<ScenarioReport>,
  options: ScenarioSuiteOptions,
): void {
  describe(title, () => {
    let report: ScenarioReport | undefined;
    beforeAll(async () => {
      report = await run();
      recordReport(report);
      console.log(formatReport(report));
    }, options.timeoutMs);

    for (const name of [...COMMON, ...(options.extraChecks ?? [])]) {
      const defect = options.knownDefects?.[name];
      const note = options.defectNotes?.[name];
      const test = defect ? it.failing : it;
      const suffix = defect
        ? ` — FAILS, known defect: ${defect}`
        : note
          ? ` — may fail, known defect: ${note}`
          : '';
      test(`then ${TITLES[name]}${suffix}`, () => {
        expectCheck(report, name);
      });
    }
  });
}

/** Throws, naming the guarantee, its counts and the offending items, when the check failed. */
export function expectCheck(report: ScenarioReport | undefined, name: CheckName): void {
  if (!report) throw new Error('the scenario did not run (see the beforeAll failure)');
  const check = report.checks.find((c) => c.name === name);
  if (!check) throw new Error(`the report of ${report.name} has no ${name} check`);
  if (check.ok) return;
  throw new Error(
    [
      `${report.name}: expected that ${check.title}, but ${check.summary}.`,
      `Examples: ${JSON.stringify(check.examples, null, 2)}`,
      report.stalls.length ? `Stalls: ${report.stalls.join('; ')}` : '',
      `Services' log: ${report.logFile}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}
