// The short fault suite (issues #9 and #11), part of `npm test`: two message-service processes
// share the send partitions; one is killed with SIGKILL mid-stream and NOT started again. The
// survivor must take its partitions within 15 s (its lock session gone, partition-leases.ts),
// and every delivery guarantee must hold across the hand-over. The load is issue #11's: a
// stream of 2,000 messages over 20 conversations (16 duplex and 4 away pairs), the kill when
// half of them are acked; under the default SEND_RATE_LIMIT it takes about 30 s here.
import { startChaosSystem, type ChaosSystem } from './support/chaos-system';
import { killMessageServiceForGood } from './support/faults';
import { describeScenario } from './support/guarantees';
import { waitUntilPartitionsShared } from './support/partitions';
import { runScenario } from './support/scenario';

describe('chaos (short): one of two message-service processes killed under load, not restarted', () => {
  let system: ChaosSystem;
  beforeAll(async () => {
    system = await startChaosSystem({ label: 'chaosscale', layout: 'split', messageServices: 2 });
    // Both must consume partitions before the kill, or it would prove nothing.
    await waitUntilPartitionsShared(system);
  }, 120_000);
  afterAll(async () => {
    await system?.close();
  }, 60_000);

  describeScenario(
    'when one of two message-service processes is killed with SIGKILL mid-stream and not restarted',
    () =>
      runScenario(system, {
        name: 'message-service-scale-sigkill',
        fault: killMessageServiceForGood('message-service#1'),
        duplexPairs: 16,
        awayPairs: 4,
        streamMessages: 2000,
      }),
    { timeoutMs: 150_000, extraChecks: ['takeover'] },
  );
});
