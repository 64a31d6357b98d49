import type { Knex } from 'knex';
import { knexOf, type StoreSource } from './knex-of';
import { withRedactedErrors } from './db-errors';

/** A TutorGo booking event as the projection needs it (times as ISO strings or Dates). */
export interface BookingEventInput {
  bookingId: string;
  studentId: string;
  tutorId: string;
  status: string;
  startTime?: string | Date;
  endTime?: string | Date;
  /** When the booking service produced the event; orders events that arrive out of order. */
  occurredAt?: string | Date;
}

/**
 * Which bookings let two users chat: those in one of `allowedStatuses`, except that a
 * `completed` booking stops counting `completedGraceDays` days after it ended (0, the default,
 * means it counts as long as its status does).
 */
export interface EntitlementPolicy {
  allowedStatuses: readonly string[];
  /** Days after end_time a completed booking still counts; default 0 (no time limit). */
  completedGraceDays?: number;
}

export interface BookingStore {
  /**
   * Whether the two users (in either role and order) share a booking that `policy` counts (a
   * plain list means those statuses, with no time limit). `now` (default: the current time) is
   * when the grace period of completed bookings is measured; a completed booking without an
   * end time is measured from the time of the event that completed it.
   */
  hasEntitlement(
    userA: string,
    userB: string,
    policy: readonly string[] | EntitlementPolicy,
    now?: Date,
  ): Promise<boolean>;
  /** Whether the projection holds any booking of the two users, in whatever status. */
  knowsPair(userA: string, userB: string): Promise<boolean>;
  /**
   * hasEntitlement and knowsPair for many pairs in one query (message-service checks a whole
   * batch of sends at once). Keyed by `pairKey(userA, userB)`; every pair asked has an entry.
   */
  pairStatuses(
    pairs: Iterable<readonly [string, string]>,
    policy: readonly string[] | EntitlementPolicy,
    now?: Date,
  ): Promise<Map<string, PairStatus>>;
  /**
   * Upserts the booking's projection. `applied` is false when the stored state is newer: an
   * event older than the stored occurred_at, an event without occurredAt over a stored one, or a
   * duplicate of the stored event. Events with the same occurredAt converge on the later status
   * (pending < confirmed < completed < cancelled), whatever order they arrive in.
   */
  applyBookingEvent(event: BookingEventInput): Promise<{ applied: boolean }>;
}

/*
 * The newer-wins rule lives in the upsert's WHERE, evaluated under the row lock, so two
 * consumers applying events for one booking at once cannot let the older one win.
 * Missing times keep the stored ones: a cancellation event need not repeat the schedule.
 */
const APPLY_EVENT = `
  insert into booking_entitlements as b
    (booking_id, student_id, tutor_id, user_low, user_high, status, start_time, end_time,
     occurred_at)
  values (?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)
  on conflict (booking_id) do update set
    student_id = excluded.student_id,
    tutor_id = excluded.tutor_id,
    user_low = excluded.user_low,
    user_high = excluded.user_high,
    status = excluded.status,
    start_time = coalesce(excluded.start_time, b.start_time),
    end_time = coalesce(excluded.end_time, b.end_time),
    occurred_at = coalesce(excluded.occurred_at, b.occurred_at),
    updated_at = now()
  where (excluded.occurred_at is null and b.occurred_at is null)
    or excluded.occurred_at > b.occurred_at
    or (excluded.occurred_at is not null and b.occurred_at is null)
    or (excluded.occurred_at = b.occurred_at
      and coalesce(array_position(?::text[], excluded.status), 0)
        > coalesce(array_position(?::text[], b.status), 0))
  returning booking_id`;

const STATUS_ORDER = ['pending', 'confirmed', 'completed', 'cancelled'];

/** Whether a pair may chat under a policy, and whether the projection knows it at all. */
export interface PairStatus {
  entitled: boolean;
  known: boolean;
}

/**
 * Every pair of `pairsSource` (rows `p` with `low` and `high`, ordered as pairKey orders them),
 * with whether the projection knows it and whether any booking of it entitles under the policy:
 * one of the allowed statuses and, for a completed booking when there are grace days, not yet
 * past them (measured from its end time, or else from the event that completed it). Its first
 * placeholders are pairStatusBindings'; the source's own follow.
 */
export function pairStatusesSql(pairsSource: string): string {
  return `
  select p.low, p.high,
    count(b.booking_id) > 0 as known,
    coalesce(bool_or(
      b.status = any(?::text[])
      and not (
        b.status = 'completed' and ?::int > 0
        and coalesce(b.end_time, b.occurred_at, b.updated_at) + make_interval(days => ?::int)
          <= ?::timestamptz
      )
    ), false) as entitled
  from ${pairsSource}
  left join booking_entitlements b on b.user_low = p.low and b.user_high = p.high
  group by p.low, p.high`;
}

/** The values of pairStatusesSql's placeholders, in their order. */
export function pairStatusBindings(
  policy: readonly string[] | EntitlementPolicy,
  now: Date = new Date(),
): Knex.RawBinding[] {
  const { allowedStatuses, completedGraceDays = 0 } = isStatusList(policy)
    ? { allowedStatuses: policy }
    : policy;
  return [[...allowedStatuses], completedGraceDays, completedGraceDays, now.toISOString()];
}

const PAIR_STATUSES = pairStatusesSql('unnest(?::text[], ?::text[]) as p (low, high)');

/** The key of an unordered pair of users in pairStatuses' answer. */
export function pairKey(userA: string, userB: string): string {
  const [low, high] = orderedPair(userA, userB);
  return `${low}\u0000${high}`;
}

export function createBookingStore(source: StoreSource): BookingStore {
  const knex = knexOf(source);
  async function pairStatuses(
    pairs: Iterable<readonly [string, string]>,
    policy: readonly string[] | EntitlementPolicy,
    now: Date = new Date(),
  ): Promise<Map<string, PairStatus>> {
    const lows: string[] = [];
    const highs: string[] = [];
    const statuses = new Map<string, PairStatus>();
    for (const [userA, userB] of pairs) {
      const key = pairKey(userA, userB);
      if (statuses.has(key)) continue;
      statuses.set(key, { entitled: false, known: false });
      const [low, high] = orderedPair(userA, userB);
      lows.push(low);
      highs.push(high);
    }
    if (lows.length === 0) return statuses;
    const { rows } = await knex.raw<{ rows: ({ low: string; high: string } & PairStatus)[] }>(
      PAIR_STATUSES,
      [...pairStatusBindings(policy, now), lows, highs],
    );
    for (const row of rows) {
      statuses.set(pairKey(row.low, row.high), { entitled: row.entitled, known: row.known });
    }
    return statuses;
  }

  const statusOf = async (
    userA: string,
    userB: string,
    policy: readonly string[] | EntitlementPolicy,
    now?: Date,
  ) => (await pairStatuses([[userA, userB]], policy, now)).get(pairKey(userA, userB))!;

  const hasEntitlement: BookingStore['hasEntitlement'] = async (userA, userB, policy, now) =>
    (await statusOf(userA, userB, policy, now)).entitled;

  const knowsPair: BookingStore['knowsPair'] = async (userA, userB) =>
    (await statusOf(userA, userB, [])).known;

  async function applyBookingEvent(event: BookingEventInput): Promise<{ applied: boolean }> {
    const [low, high] = orderedPair(event.studentId, event.tutorId);
    const { rows } = await knex.raw<{ rows: unknown[] }>(APPLY_EVENT, [
      event.bookingId,
      event.studentId,
      event.tutorId,
      low,
      high,
      event.status,
      toTimestamp(event.startTime),
      toTimestamp(event.endTime),
      toTimestamp(event.occurredAt),
      STATUS_ORDER,
      STATUS_ORDER,
    ]);
    return { applied: rows.length > 0 };
  }

  return withRedactedErrors({ hasEntitlement, knowsPair, pairStatuses, applyBookingEvent });
}

function isStatusList(policy: readonly string[] | EntitlementPolicy): policy is readonly string[] {
  return Array.isArray(policy);
}

/** Smaller id first by code point, the same order as conversation ids. */
export function orderedPair(a: string, b: string): [string, string] {
  return a < b ? [a, b] : [b, a];
}

function toTimestamp(value: string | Date | undefined): string | null {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : value;
}
