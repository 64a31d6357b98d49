import type { Broker } from '@chat/broker';
import type { OutboxRow, OutboxStore } from '@chat/db';
import type { Logger } from '@chat/observability';

export interface OutboxRelayOptions {
  outbox: OutboxStore;
  broker: Broker;
  logger: Logger;
  /** How often pending rows are looked for without a kick, in ms; default 1000. */
  pollIntervalMs?: number;
  /** Rows claimed per transaction; default 100. */
  batchSize?: number;
  /** How long published rows are kept (for inspection) before they are deleted; default 7 days. */
  retentionMs?: number;
  /** How often old published rows are looked for; default hourly. */
  pruneIntervalMs?: number;
}

export interface OutboxRelay {
  /** Publishes what is pending now (a commit just added rows) instead of at the next poll. */
  kick(): void;
  /** Stops polling and waits for the batch in hand; rows not yet confirmed stay pending. */
  close(): Promise<void>;
}

/**
 * Publishes outbox rows with publisher confirms and marks them published (see
 * OutboxStore.publishPending: rows are claimed with a lease in a statement of their own, so no
 * transaction or row lock is held while RabbitMQ takes its time). Kicked after each commit that added rows and polling besides,
 * so rows a crash between commit and publish left behind, or that a broker outage refused, go
 * out later: at least once, in order. Runs one batch at a time; kicks during a run coalesce
 * into one more run.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { outbox, broker } = options;
  const log = options.logger.child({ module: 'history:outbox' });
  const batchSize = options.batchSize ?? 100;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let failing = false;

  const publish = (row: OutboxRow) => {
    const payload = row.payload as { type?: unknown; correlationId?: unknown } | null;
    return broker.publish(row.exchange, row.routingKey, row.payload, {
      messageId: `outbox-${row.id}`,
      ...(typeof payload?.type === 'string' && { type: payload.type }),
      ...(typeof payload?.correlationId === 'string' && { correlationId: payload.correlationId }),
    });
  };

  async function drain(): Promise<void> {
    do {
      again = false;
      let published: number;
      do {
        published = await outbox.publishPending(batchSize, publish);
        if (published > 0) log.debug({ published }, 'outbox rows published');
      } while (published === batchSize && !closed);
    } while (again && !closed);
  }

  function kick(): void {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .then(
        () => {
          if (failing) log.info('outbox relay publishing again');
          failing = false;
        },
        (error: unknown) => {
          // Logged once per outage; the rows stay pending and the next poll tries again.
          if (!failing) log.warn({ err: error }, 'outbox relay could not publish, will retry');
          failing = true;
        },
      )
      .finally(() => {
        running = undefined;
        // A kick that came after drain's last check.
        if (again) kick();
      });
  }

  const timer = setInterval(kick, options.pollIntervalMs ?? 1000);
  timer.unref();
  kick();

  // Published rows have done their job; without this the table only grows.
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  const pruneTimer = setInterval(() => {
    outbox.prunePublished(new Date(Date.now() - retentionMs)).then(
      (deleted) => deleted > 0 && log.debug({ deleted }, 'old outbox rows deleted'),
      (error: unknown) => log.warn({ err: error }, 'could not delete old outbox rows'),
    );
  }, options.pruneIntervalMs ?? 3_600_000);
  pruneTimer.unref();

  let closing: Promise<void> | undefined;
  return {
    kick,
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(timer);
        clearInterval(pruneTimer);
        await running;
      })();
      return closing;
    },
  };
}
