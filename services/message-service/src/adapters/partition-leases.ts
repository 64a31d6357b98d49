import type { Consumer } from '@chat/broker';
import { lockSpace, openLockSession, type LockSession } from '@chat/db';
import type { Logger } from '@chat/observability';

/**
 * Which message-service instance consumes which send partition.
 *
 * Every instance keeps a PostgreSQL session of its own (libs/db openLockSession) and holds in it
 * one advisory lock that says "I am live" and one per partition it consumes. Each round it reads
 * all of them, sorts the live instances, and gives partition `p` to instance `p mod n`: it lets
 * go of what belongs to another live instance and takes what belongs to itself. Rounds run
 * every `rebalanceMs`, and at once when another instance announces a change (PostgreSQL NOTIFY
 * on joining, letting go, leaving), so a partition changes hands in milliseconds, not a round.
 * A partition nobody has held for a whole round is taken by whoever sees it, so none waits long
 * on an owner that cannot take it.
 *
 * Why this: the locks die with the session, so an instance that is SIGKILLed or cut off frees
 * its partitions as soon as PostgreSQL sees its connection go — nothing to expire, no clock to
 * trust — and PostgreSQL is what every instance must reach to do any work anyway. RabbitMQ 3.10
 * has neither consumer priorities for single active consumers nor super streams. An instance
 * that stops running rounds with its connection still open (frozen, hung, its host gone without
 * a FIN) would hold its partitions for good while RabbitMQ drops its consumers: PostgreSQL ends
 * a lock session that sent nothing for SESSION_IDLE_ROUNDS rounds (idle_session_timeout; every
 * round reads the locks), by its own clock alone.
 *
 * Order across a hand-over: an instance consumes a partition only while it holds its lock, and
 * lets go by cancelling its consumer — which waits until the batch in hand is stored and acked —
 * and only then unlocking; what it had not started goes back to the front of the queue for the
 * next owner. The send queues stay single-active-consumer too, so two instances that disagree
 * for a moment (one lost its session and has not noticed yet) never take messages of one
 * partition at the same time: the second waits until the first lets go.
 */
export interface PartitionLeases {
  /** The partitions this instance consumes now, ascending. */
  held(): number[];
  /** Runs one round now; rounds never overlap. */
  rebalance(): Promise<void>;
  /** Stops rebalancing, cancels every partition's consumer, then lets go of the locks. */
  close(): Promise<void>;
}

export type LeaseChange = 'acquired' | 'released' | 'lost';

export interface PartitionLeasesOptions {
  databaseUrl: string;
  namespace: string | undefined;
  partitions: number;
  /** How often the locks are read and the partitions rebalanced. */
  rebalanceMs: number;
  /** Starts consuming one partition's queue. */
  consume(partition: number): Promise<Consumer>;
  logger: Logger;
  onChange?: (change: LeaseChange, partition: number) => void;
}

/** Rounds a lock session may miss before PostgreSQL ends it; see sessionIdleTimeoutMs. */
const SESSION_IDLE_ROUNDS = 3;
/** Never less, so a busy event loop or a slow hand-over does not cost a healthy instance its locks. */
const MIN_SESSION_IDLE_MS = 10_000;

/** How long PostgreSQL keeps a lock session that sent nothing: 15 s with 5 s rounds. */
function sessionIdleTimeoutMs(rebalanceMs: number): number {
  return Math.max(SESSION_IDLE_ROUNDS * rebalanceMs, MIN_SESSION_IDLE_MS);
}

export async function startPartitionLeases(
  options: PartitionLeasesOptions,
): Promise<PartitionLeases> {
  const log = options.logger.child({ module: 'partition-leases' });
  const ns = options.namespace ?? '';
  const membersSpace = lockSpace(`${ns}:message-service-instances`);
  const partitionsSpace = lockSpace(`${ns}:send-partitions`);
  const changeChannel = `chat_partition_changes_${partitionsSpace}`;
  const consumers = new Map<number, Consumer>();
  /** When each partition was first seen without a holder, while it has none. */
  const unheldSince = new Map<number, number>();
  let session: LockSession | undefined;
  let stopped = false;
  let failing = false;
  let round: Promise<void> = Promise.resolve();

  async function openSession(): Promise<LockSession> {
    const opened = await openLockSession({
      url: options.databaseUrl,
      applicationName: 'tutorgo-chat:partition-leases',
      idleSessionTimeoutMs: sessionIdleTimeoutMs(options.rebalanceMs),
      onError: (error) => log.warn({ err: error }, 'lock session failed'),
    });
    await opened.lock(membersSpace, opened.pid);
    // The locks of a session that died are gone: take again what we still consume, and stop
    // consuming what another instance took meanwhile (its consumer waits until ours goes).
    for (const partition of [...consumers.keys()]) {
      if (!(await opened.tryLock(partitionsSpace, partition))) await stop(partition, 'lost');
    }
    // A change of hands is announced, so that no partition waits a whole round for its next
    // owner: every instance runs a round at once when another joins, lets go or leaves.
    await opened.listen(changeChannel, () => void rebalance());
    await opened.notify(changeChannel);
    return opened;
  }

  async function take(current: LockSession, partition: number): Promise<void> {
    if (!(await current.tryLock(partitionsSpace, partition))) return;
    try {
      consumers.set(partition, await options.consume(partition));
    } catch (error) {
      await current.unlock(partitionsSpace, partition);
      throw error;
    }
    options.onChange?.('acquired', partition);
  }

  /** Stops consuming after the batch in hand; when `released`, unlocks for the next owner. */
  async function stop(partition: number, change: 'released' | 'lost'): Promise<void> {
    const consumer = consumers.get(partition);
    consumers.delete(partition);
    // No deadline: the lock must outlive the batch in hand, or the next owner could store the
    // partition's later messages before it commits.
    await consumer?.cancel({ deadlineMs: Infinity });
    options.onChange?.(change, partition);
    if (change === 'released' && session?.alive) await session.unlock(partitionsSpace, partition);
  }

  async function runRound(): Promise<void> {
    if (!session?.alive) session = await openSession();
    const current = session;
    const locks = await current.held([membersSpace, partitionsSpace]);
    const members = locks
      .filter((lock) => lock.space === membersSpace)
      .map((lock) => lock.pid)
      .sort((a, b) => a - b);
    const holders = new Map(
      locks.filter((lock) => lock.space === partitionsSpace).map((lock) => [lock.key, lock.pid]),
    );
    const ownerOf = (partition: number) => members[partition % members.length];
    const now = Date.now();
    let released = false;
    for (let partition = 0; partition < options.partitions; partition++) {
      const holder = holders.get(partition);
      const mine = ownerOf(partition) === current.pid;
      if (holder === current.pid && !mine) {
        await stop(partition, 'released');
        released = true;
      }
      if (holder !== undefined) {
        unheldSince.delete(partition);
        continue;
      }
      const since = unheldSince.get(partition) ?? now;
      unheldSince.set(partition, since);
      // Its owner takes it; anyone does once it has waited a whole round (an owner that cannot).
      if (mine || now - since >= options.rebalanceMs) await take(current, partition);
    }
    if (released) await current.notify(changeChannel);
  }

  function rebalance(): Promise<void> {
    round = round.then(async () => {
      if (stopped) return;
      try {
        await runRound();
        if (failing) log.info({ held: held() }, 'partition rebalancing works again');
        failing = false;
      } catch (error) {
        // PostgreSQL away: keep consuming what we hold (nobody can take it meanwhile, and the
        // queues' single active consumer fences us anyway); try again next round.
        if (!failing) log.warn({ err: error, held: held() }, 'could not rebalance partitions');
        failing = true;
      }
    });
    return round;
  }

  function held(): number[] {
    return [...consumers.keys()].sort((a, b) => a - b);
  }

  await rebalance();
  const timer = setInterval(() => void rebalance(), options.rebalanceMs);
  timer.unref();
  log.info({ held: held() }, 'consuming send partitions');

  let closing: Promise<void> | undefined;
  return {
    held,
    rebalance,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        stopped = true;
        await round;
        // Every consumer stops after its batch in hand (in parallel); then the locks go, in one
        // statement (a session runs one statement at a time).
        const held = [...consumers.entries()];
        consumers.clear();
        await Promise.all(held.map(([, consumer]) => consumer.cancel({ deadlineMs: Infinity })));
        for (const [partition] of held) options.onChange?.('released', partition);
        if (session?.alive) {
          // Let go and say so, so the others take over now rather than at their next round.
          await session
            .unlockAll()
            .then(() => session?.notify(changeChannel))
            .catch((error: unknown) => log.warn({ err: error }, 'could not hand over at close'));
        }
        await session?.end();
      })();
      return closing;
    },
  };
}
