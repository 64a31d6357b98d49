// The short fault suite (issue #9), part of `npm test`: message-service in a process of its own,
// killed with SIGKILL mid-stream and started again at once; the edge keeps the clients' sockets,
// so nothing may be handed twice and every send still gets exactly one answer.
import { startChaosSystem, type ChaosSystem } from './support/chaos-system';
import { killService } from './support/faults';
import { describeScenario } from './support/guarantees';
import { runScenario } from './support/scenario';

describe('chaos (short): a process killed under load, one process per service', () => {
  let system: ChaosSystem;
  beforeAll(async () => {
    system = await startChaosSystem({ label: 'chaoskill', layout: 'split' });
  }, 90_000);
  afterAll(async () => {
    await system?.close();
  }, 60_000);

  describeScenario(
    'when message-service is killed with SIGKILL mid-stream and started again',
    () =>
      runScenario(system, {
        name: 'message-service-sigkill',
        fault: killService('message-service'),
        duplexPairs: 6,
        awayPairs: 3,
      }),
    { timeoutMs: 150_000 },
  );
});
