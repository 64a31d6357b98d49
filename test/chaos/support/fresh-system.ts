import { startChaosSystem, type ChaosSystem, type ChaosSystemOptions } from './chaos-system';
import { runScenario, type ScenarioOptions, type ScenarioReport } from './scenario';

/**
 * Runs the scenario on a system started for it alone, closed afterwards whatever happened;
 * `prepare` (e.g. waiting until the instances share the partitions) runs before the scenario.
 */
export async function runOnFreshSystem(
  system: ChaosSystemOptions,
  scenario: ScenarioOptions,
  prepare?: (started: ChaosSystem) => Promise<void>,
): Promise<ScenarioReport> {
  const started = await startChaosSystem(system);
  try {
    await prepare?.(started);
    return await runScenario(started, scenario);
  } finally {
    await started.close();
  }
}
