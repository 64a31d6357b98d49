import type { CutMode } from '@chat/testing';
import type { ChaosSystem, Dependency, ServiceName } from './chaos-system';
import type { Check } from './checks';

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
