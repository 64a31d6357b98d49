import { startChaosSystem, type ChaosSystemOptions } from './chaos-system';
import { runScenario, type ScenarioOptions, type ScenarioReport } from './scenario';

/** Runs the scenario on a system started for it alone, closed afterwards whatever happened. */
export async function runOnFreshSystem(
  system: ChaosSystemOptions,
  scenario: ScenarioOptions,
): Promise<ScenarioReport> {
  const started = await startChaosSystem(system);
  try {
    return await runScenario(started, scenario);
  } finally {
    await started.close();
  }
}
