import type { Socket } from 'node:net';

/** The parts of a node-postgres Client the watchdog needs. */
export interface WatchedPgClient {
  query: (...args: never[]) => unknown;
  on(event: 'drain', listener: () => void): unknown;
  connection?: { stream?: Socket };
}

/**
 * Destroys a PostgreSQL connection that stays silent for `stalledAfterMs` while a query is
 * in flight. A healthy server answers every statement within statement_timeout (it cancels the
 * statement itself); silence beyond that plus a margin means the network in between is gone —
 * a partition, a dead load balancer — and TCP would wait many minutes to say so. Destroying the
 * socket fails the query with a network error (ETIMEDOUT, retryable like any outage) and knex
 * throws the connection away, so the caller's retry runs on a fresh one as soon as the network
 * is back, instead of when the kernel gives up on the old one.
 *
 * Armed only while the client is busy: an idle pooled connection is silent by design.
 */
export function destroyWhenStalled(client: WatchedPgClient, stalledAfterMs: number): void {
  const stream = client.connection?.stream;
  if (!stream) return;
  const query = client.query;
  client.query = function watchedQuery(this: unknown, ...args: never[]) {
    // Any byte read or written restarts the countdown; a long result streaming in is alive.
    stream.setTimeout(stalledAfterMs);
    return query.apply(this, args);
  };
  client.on('drain', () => stream.setTimeout(0));
  stream.on('timeout', () => {
    stream.destroy(
      Object.assign(new Error(`PostgreSQL sent nothing for ${stalledAfterMs} ms during a query`), {
        code: 'ETIMEDOUT',
      }),
    );
  });
}
