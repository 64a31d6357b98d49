import { topologyNames } from '@chat/contracts';
import { queueCounts, type CutMode } from '@chat/testing';
import type { ChaosSystem, Dependency, MessageServiceName, ServiceName } from './chaos-system';
import type { Check } from './checks';
import { partitionsHeld, waitForPartitions } from './partitions';

const DEPENDENCY_TITLES: Record<Dependency, string> = {
  postgres: 'PostgreSQL',
  rabbitmq: 'RabbitMQ',
  redis: 'Redis',
};

/** When a fault began and when it was over (the dependency back, or the service ready again). */
export interface FaultWindow {
  startedAt: number;
  healedAt: number;
  /** Figures of the fault itself (exit codes, drain times, …). */
  notes: Record<string, string | number | boolean>;
  /** Checks only this fault has (e.g. a clean exit). */
  checks: Check[];
}

/** What a fault may look at while it runs: the clients' state. */
export interface FaultContext {
  /** Whether every sender has had a message waiting for its answer for at least `ms`. */
  allSendersWaiting(ms: number): boolean;
}

export interface Fault {
  title: string;
  /**
   * A PostgreSQL outage: message-service must hold the commands in hand and try again, never
   * hand them back to the broker (design notes, "Order").
   */
  holdsCommands?: boolean;
  /**
   * Whether the fault ends the process holding the clients' sockets: after a SIGKILL a
   * message may be handed twice and a send may go unanswered; after a SIGTERM neither.
   */
  endsSocketHolder?: 'SIGTERM' | 'SIGKILL';
  inject(system: ChaosSystem, context: FaultContext): Promise<FaultWindow>;
}

/** The dependency's proxy cut for `ms` (the fault is the wait itself), then healed. */
export function cutDependency(dependency: Dependency, ms: number, mode: CutMode = 'reset'): Fault {
  const how = mode === 'reset' ? 'down (connections reset)' : 'partitioned (blackhole)';
  return {
    title: `${DEPENDENCY_TITLES[dependency]} ${how} for ${ms / 1000} s`,
    holdsCommands: dependency === 'postgres',
    async inject(system) {
      const proxy = system.proxies[dependency];
      const before = proxy.stats;
      const startedAt = Date.now();
      proxy.cut(mode);
      await new Promise((resolve) => setTimeout(resolve, ms));
      proxy.heal();
      const after = proxy.stats;
      return {
        startedAt,
        healedAt: Date.now(),
        notes: {
          connectionsRefused: after.refused - before.refused,
          connectionsSwallowed: after.swallowed - before.swallowed,
        },
        checks: [],
      };
    },
  };
}

/**
 * RabbitMQ goes down while message-service holds commands: PostgreSQL is cut until every sender
 * has had a message waiting for a second (its command is then in message-service's hand, held
 * in a batch or waiting for the next), then RabbitMQ is cut and PostgreSQL healed: the held
 * messages are committed while their deliveries cannot be published. RabbitMQ stays down for
 * `ms`, longer than a command's lifetime (SEND_ACK_TIMEOUT_MS less its margin), so the commands
 * come back to message-service after their expiresAt.
 */
export function cutRabbitmqWhileHoldingCommands(ms: number): Fault {
  return {
    title: `RabbitMQ down for ${ms / 1000} s, cut while message-service held every sender's command (PostgreSQL down until then)`,
    async inject(system, context) {
      const startedAt = Date.now();
      system.proxies.postgres.cut();
      await until(() => context.allSendersWaiting(1000), 30_000);
      system.proxies.rabbitmq.cut();
      system.proxies.postgres.heal();
      const rabbitDownAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, ms));
      system.proxies.rabbitmq.heal();
      return {
        startedAt,
        healedAt: Date.now(),
        notes: { postgresDownMs: rabbitDownAt - startedAt },
        checks: [],
      };
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILL of one service mid-stream, started again at once; healed when it answers /readyz. */
export function killService(name: ServiceName): Fault {
  return {
    title: `SIGKILL of ${name}, restarted at once`,
    endsSocketHolder: name === 'socket-edge' || name === 'chat' ? 'SIGKILL' : undefined,
    async inject(system) {
      const startedAt = Date.now();
      const exit = await system.stop(name, 'SIGKILL');
      await system.start([name]);
      return {
        startedAt,
        healedAt: Date.now(),
        notes: { killedAfterMs: exit.at - startedAt, signal: String(exit.signal) },
        checks: [],
      };
    },
  };
}

/**
 * SIGKILL of one of several message-service instances mid-stream, NOT started again: the others
 * must take its send partitions once PostgreSQL sees its lock session go (partition-leases.ts).
 * Healed when the survivors hold every partition between them (their chat_send_partitions_held
 * gauges on the ops servers); the `takeover` check wants that within `takeoverLimitMs`, each send
 * queue with exactly one consumer then, and the killed instance to have held partitions at all.
 */
export function killMessageServiceForGood(
  name: MessageServiceName,
  takeoverLimitMs = 15_000,
): Fault {
  return {
    title: `SIGKILL of ${name}, not restarted: the other message-service instances take its send partitions`,
    async inject(system) {
      const survivors = system.messageServices.filter((other) => other !== name);
      if (survivors.length === 0) throw new Error(`no message-service would survive ${name}`);
      const [killedHeld = 0] = await partitionsHeld(system, [name]);
      const startedAt = Date.now();
      const exit = await system.stop(name, 'SIGKILL');
      // Waits past the limit, so a slow takeover is measured rather than cut short.
      const takeover = await waitForPartitions(
        () => partitionsHeld(system, survivors),
        (held) => held.reduce((sum, n) => sum + n, 0) === system.partitions,
        takeoverLimitMs * 3,
      );
      const takeoverMs = takeover.at - startedAt;
      const consumers = await oneConsumerPerSendQueue(system, 5000);
      const ok =
        killedHeld > 0 &&
        !takeover.timedOut &&
        takeoverMs <= takeoverLimitMs &&
        consumers.every((count) => count === 1);
      return {
        startedAt,
        healedAt: takeover.at,
        notes: {
          killedHeld,
          killedAfterMs: exit.at - startedAt,
          takeoverMs,
          survivorsHeld: takeover.held.join('+'),
          consumersPerSendQueue: consumers.join(' '),
        },
        checks: [
          {
            name: 'takeover',
            title: `the surviving message-service holds every send partition within ${takeoverLimitMs / 1000} s of the kill, one consumer per send queue`,
            ok,
            summary: `${name} held ${killedHeld} of ${system.partitions} partitions at the kill; ${takeoverMs} ms after it the survivors held ${takeover.held.join('+')}${takeover.timedOut ? ' (gave up waiting)' : ''}; consumers per send queue: ${consumers.join(' ')}`,
            examples: [],
          },
        ],
      };
    },
  };
}

/**
 * Consumers of each send queue (RabbitMQ counts a single active consumer's waiting ones too),
 * polled for up to `timeoutMs` until each has exactly one: the broker may see the killed
 * connection close a moment after PostgreSQL does.
 */
async function oneConsumerPerSendQueue(system: ChaosSystem, timeoutMs: number): Promise<number[]> {
  const names = topologyNames(system.namespace);
  const queues = Array.from({ length: system.partitions }, (_, p) => names.sendQueue(p));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = (await queueCounts(system.rabbitmqUrl, queues)).map((q) => q.consumerCount ?? 0);
    if (counts.every((count) => count === 1) || Date.now() > deadline) return counts;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * SIGTERM of the whole system under load: it must drain and exit 0 within
 * SHUTDOWN_TIMEOUT_MS; then it is started again on the same ports, database and namespace, and
 * the clients come back.
 */
export function stopWholeSystem(shutdownTimeoutMs = 10_000): Fault {
  return {
    title: 'SIGTERM of the whole system (npm start) under load, then started again',
    endsSocketHolder: 'SIGTERM',
    async inject(system) {
      if (system.layout !== 'combined') throw new Error('needs the combined layout');
      const startedAt = Date.now();
      const exit = await system.stop('chat', 'SIGTERM');
      const stopMs = exit.at - startedAt;
      const output = system.process('chat').output();
      const printedStopped = /"msg":"stopped"/.test(output);
      const timedOut = /shutdown timed out|shutdown failed/.test(output);
      const restartAt = Date.now();
      await system.start(['chat']);
      const healedAt = Date.now();
      const clean = exit.code === 0 && printedStopped && !timedOut && stopMs <= shutdownTimeoutMs;
      return {
        startedAt,
        healedAt,
        notes: {
          exitCode: String(exit.code),
          stopMs,
          printedStopped,
          timedOut,
          restartMs: healedAt - restartAt,
        },
        checks: [
          {
            name: 'cleanStop',
            title: 'SIGTERM under load ends the process cleanly',
            ok: clean,
            summary: `exit code ${exit.code} (signal ${exit.signal}) after ${stopMs} ms; "stopped" ${printedStopped ? '' : 'not '}logged${timedOut ? '; shutdown timed out or failed' : ''}`,
            examples: clean ? [] : [output.split('\n').slice(-15).join('\n')],
          },
        ],
      };
    },
  };
}
