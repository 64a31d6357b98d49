import { createHash } from 'node:crypto';
import pg from 'pg';
import { destroyWhenStalled, type WatchedPgClient } from './stalled-connection';

/** A session-level advisory lock held by some session: `(space, key)` as pg_locks shows it. */
export interface HeldLock {
  space: number;
  key: number;
  /** The backend pid of the session holding it. */
  pid: number;
}

/**
 * One PostgreSQL session of its own for session-level advisory locks: they live exactly as long
 * as the session, so a process that dies or is cut off lets go of them as soon as PostgreSQL
 * sees its connection go — no lease to expire and no clock to trust. Not from the pool: a
 * pooled connection changes hands, and its locks with it.
 *
 * Locks take two int4 keys: a `space` (what kind of lock, e.g. one per namespace and purpose,
 * see lockSpace) and a `key` within it.
 */
export interface LockSession {
  /** This session's backend pid: how other sessions see its locks in `held`. */
  readonly pid: number;
  /** False once the connection is gone; every lock of the session went with it. */
  readonly alive: boolean;
  tryLock(space: number, key: number): Promise<boolean>;
  /** Waits for the lock (for a session's own, uncontended keys). */
  lock(space: number, key: number): Promise<void>;
  unlock(space: number, key: number): Promise<void>;
  /** Lets go of every lock this session holds. */
  unlockAll(): Promise<void>;
  /**
   * Calls `listener` whenever another session calls `notify(channel)`, for as long as this
   * session lives. `channel` is lowercase letters, digits and underscores.
   */
  listen(channel: string, listener: () => void): Promise<void>;
  /** Wakes every other session listening on `channel` (PostgreSQL NOTIFY). */
  notify(channel: string): Promise<void>;
  /** Every granted lock of these spaces in this database, whoever holds it. */
  held(spaces: readonly number[]): Promise<HeldLock[]>;
  /** Ends the session: its locks are released. */
  end(): Promise<void>;
}

export interface LockSessionOptions {
  url: string;
  /** How pg_stat_activity names the session. */
  applicationName: string;
  /** Longest a statement may wait for an answer before the session counts as cut; default 10 s. */
  stalledAfterMs?: number;
  /**
   * When set, PostgreSQL itself ends the session (and so lets go of its locks) once it has sent
   * no statement for this long (idle_session_timeout, PostgreSQL 14+): a holder that is frozen,
   * hung, or whose host vanished without closing its connection — which PostgreSQL would
   * otherwise keep for as long as TCP keepalive takes, two hours by default — cannot keep its
   * locks. The holder must then run a statement more often than this. Default: never.
   */
  idleSessionTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export async function openLockSession(options: LockSessionOptions): Promise<LockSession> {
  const client = new pg.Client({
    connectionString: options.url,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  });
  let alive = true;
  client.on('error', (error) => {
    alive = false;
    options.onError?.(error);
  });
  client.on('end', () => {
    alive = false;
  });
  await client.connect();
  destroyWhenStalled(client as unknown as WatchedPgClient, options.stalledAfterMs ?? 10_000);
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  if (options.idleSessionTimeoutMs !== undefined) {
    await client.query("select set_config('idle_session_timeout', $1, false)", [
      `${options.idleSessionTimeoutMs}ms`,
    ]);
  }

  return {
    pid,
    get alive() {
      return alive;
    },
    async tryLock(space, key) {
      const { rows } = await client.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1, $2) as locked',
        [space, key],
      );
      return rows[0]!.locked;
    },
    async lock(space, key) {
      await client.query('select pg_advisory_lock($1, $2)', [space, key]);
    },
    async unlock(space, key) {
      await client.query('select pg_advisory_unlock($1, $2)', [space, key]);
    },
    async unlockAll() {
      await client.query('select pg_advisory_unlock_all()');
    },
    async listen(channel, listener) {
      if (!/^[a-z0-9_]{1,63}$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
      client.on('notification', (notification) => {
        if (notification.channel === channel && notification.processId !== pid) listener();
      });
      await client.query(`listen ${channel}`);
    },
    async notify(channel) {
      await client.query('select pg_notify($1, $2)', [channel, '']);
    },
    async held(spaces) {
      // Two-key advisory locks show as classid = first key, objid = second, objsubid = 2.
      const { rows } = await client.query<{ space: string; key: string; pid: number }>(
        `select classid::int8 as space, objid::int8 as key, pid
           from pg_locks
          where locktype = 'advisory' and granted and objsubid = 2
            and database = (select oid from pg_database where datname = current_database())
            and classid = any($1::int8[]::oid[])`,
        [spaces],
      );
      return rows.map((row) => ({ space: Number(row.space), key: Number(row.key), pid: row.pid }));
    },
    async end() {
      alive = false;
      await client.end().catch(() => undefined);
    },
  };
}

/** A positive int4 naming a space of advisory locks, e.g. lockSpace(`${namespace}:partitions`). */
export function lockSpace(name: string): number {
  return createHash('sha1').update(`tutorgo-chat:${name}`).digest().readUInt32BE(0) & 0x7fffffff;
}
