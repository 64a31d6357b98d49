import type { Knex } from 'knex';
import { knexOf, type StoreSource } from './knex-of';
import { AppError } from '@chat/errors';
import { pairStatusBindings, pairStatusesSql, type EntitlementPolicy } from './booking-store';
import { withRedactedErrors } from './db-errors';
import { inTransaction } from './transaction';

export interface ConversationSummary {
  id: string;
  /** The members, smaller id first (by code point, as in conversation ids): two for a direct chat. */
  participants: string[];
  lastMessage: string | null;
  lastMessageTime: Date | null;
  /** Messages to this user that they have not marked read. */
  unreadCount: number;
  lastSeq: number;
}

export interface ConversationPage {
  conversations: ConversationSummary[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

export interface ReadResult {
  /** False when there was nothing unread, so nobody needs to hear about it. */
  changed: boolean;
  /** The reader's read watermark afterwards: the conversation's last seq. */
  upToSeq: number;
  /** The newest message the watermark covers, or null when the conversation has none. */
  upToMessageId: string | null;
  readAt: Date;
}

/** One `mark-delivered`: `userId`'s devices have the conversation's messages up to `upToSeq`. */
export interface DeliveredMark {
  conversationId: string;
  userId: string;
  upToSeq: number;
}

/**
 * What became of the marks of one (conversation, user): whether the user is a member, the
 * conversation's last seq (marks beyond it were not applied), and — when the watermark moved
 * past messages the user received — the announcement for the sender.
 */
export interface DeliveredOutcome {
  member: boolean;
  lastSeq: number;
  /** The newest message to the user the move covered; absent when nothing new reached them. */
  announced?: { upToSeq: number; upToMessageId: string; deliveredAt: Date };
}

export interface ConversationStore {
  isMember(conversationId: string, userId: string): Promise<boolean>;
  /**
   * The user's conversations, most recent activity first, in one query. The cursor is opaque;
   * a malformed one throws InvalidCursorError. A conversation that gets a new message while a
   * client pages moves to the front, where that client's earlier page no longer shows it.
   */
  listConversations(
    userId: string,
    options: { limit: number; cursor?: string },
  ): Promise<ConversationPage>;
  /**
   * Everyone a booking lets the user chat with now, by the send path's rule (`policy`, as
   * BookingStore.pairStatuses applies it), whether or not either has written yet; each once,
   * sorted. Whom presence tells `user-online` / `user-offline`, and whose presence `connected`
   * reports: a cancelled booking's partner no longer learns when the user comes and goes.
   */
  partnersOf(userId: string, policy: EntitlementPolicy): Promise<string[]>;
  /** `partnersOf` of each user, in one query; every given user is a key (`[]` when none). */
  partnersOfEach(
    userIds: readonly string[],
    policy: EntitlementPolicy,
  ): Promise<Map<string, string[]>>;
  totalUnread(userId: string): Promise<number>;
  /**
   * What a connecting user needs, for many users in one query: each one's `totalUnread`, and
   * the `partnersOf` those in `withPartners`. Every user in
   * `userIds` is a key; `partners` is present for those in `withPartners` only.
   */
  unreadAndPartnersOfEach(
    userIds: readonly string[],
    withPartners: readonly string[],
    policy: EntitlementPolicy,
  ): Promise<Map<string, { unread: number; partners?: string[] }>>;
  /**
   * Moves the reader's watermark to the conversation's last seq and zeroes their unread count,
   * in `trx` when given (so the caller can add an outbox row atomically), else in a transaction
   * of its own. Throws AppError NOT_A_MEMBER when the reader is not a member.
   */
  markRead(conversationId: string, readerId: string, trx?: Knex.Transaction): Promise<ReadResult>;
  /**
   * Raises delivered watermarks, many in one statement (in `trx` when given): per
   * (conversation, user) to the highest of its marks that is not beyond the conversation's last
   * message; a watermark never goes back, and marks at or below it (or below the read watermark:
   * read implies delivered) change nothing. Keyed by `deliveredKey`; a mark whose conversation
   * does not exist, or whose user is not a member, comes back with `member: false`.
   */
  markDeliveredEach(
    marks: readonly DeliveredMark[],
    trx?: Knex.Transaction,
  ): Promise<Map<string, DeliveredOutcome>>;
}

/** The key of a (conversation, user) in markDeliveredEach's answer. */
export const deliveredKey = (conversationId: string, userId: string) =>
  `${conversationId} ${userId}`;

/** A `cursor` that this store did not hand out. */
export class InvalidCursorError extends AppError {
  constructor() {
    super('VALIDATION_FAILED', 'cursor is not valid');
    this.name = 'InvalidCursorError';
  }
}

interface SummaryRow {
  id: string;
  participants: string[];
  last_message: string | null;
  last_message_at: Date | null;
  unread_count: number;
  last_seq: string;
  activity_us: string;
}

/*
 * Activity is the last message time (or creation time), in integer microseconds so the cursor
 * keeps PostgreSQL's full precision: a millisecond Date would skip rows within one millisecond.
 */
const LIST_CONVERSATIONS = `
  select * from (
    select c.id, c.last_message, c.last_message_at, c.last_seq, me.unread_count,
      array(select p.user_id from conversation_members p where p.conversation_id = c.id)
        as participants,
      (extract(epoch from coalesce(c.last_message_at, c.created_at)) * 1000000)::bigint
        as activity_us
    from conversation_members me
    join conversations c on c.id = me.conversation_id
    where me.user_id = ?
  ) mine
  where ?::bigint is null or (activity_us, id) < (?::bigint, ?::text)
  order by activity_us desc, id desc
  limit ?`;

/*
 * `chat_partners (user_id, partner)`: for the users of the first placeholder (one array for any
 * number of users, so the statement keeps one text and plan), everyone a booking lets them chat
 * with now — pairStatusesSql, the rule the send path applies, whose placeholders follow — whether
 * or not they have written yet. booking_entitlements keys a pair as (user_low, user_high), the
 * order of a conversation id.
 */
const CHAT_PARTNERS = `
  booked_pairs as (
    select distinct u.user_id, b.user_low as low, b.user_high as high
    from unnest(?::text[]) as u (user_id)
    join booking_entitlements b on b.user_low = u.user_id or b.user_high = u.user_id
  ),
  chat_partners as (
    select bp.user_id, case when bp.low = bp.user_id then bp.high else bp.low end as partner
    from booked_pairs bp
    join (${pairStatusesSql('(select distinct low, high from booked_pairs) p')}) pair
      on pair.low = bp.low and pair.high = bp.high
    where pair.entitled
  )`;

const PARTNERS_OF_EACH = `with ${CHAT_PARTNERS} select user_id, partner from chat_partners`;

const UNREAD_AND_PARTNERS_OF_EACH = `
  with ${CHAT_PARTNERS}
  select u.user_id,
    (select coalesce(sum(m.unread_count), 0) from conversation_members m
      where m.user_id = u.user_id)::bigint as unread,
    case when u.user_id = any(?::text[]) then coalesce(cp.partners, '{}') end as partners
  from unnest(?::text[]) as u(user_id)
  left join (
    select user_id, array_agg(partner) as partners from chat_partners group by user_id
  ) cp on cp.user_id = u.user_id`;

/*
 * Delivered watermarks for a batch of marks, in one statement:
 * - `pairs`: per (conversation, user) the highest mark not beyond the conversation's last seq
 *   (`target`, null when every mark is beyond it), with that last seq;
 * - `locked`: the member rows, locked in key order (two batches cannot deadlock on each other;
 *   like storeMessages and markRead, nothing here locks a member row before a conversation row,
 *   since no conversation row is locked at all), with their watermark as it is now — FOR UPDATE
 *   reads the latest committed version, so `old_seq` is exact under concurrent marks;
 * - `moved`: the rows whose watermark rises;
 * - `announced`: of those, the newest message the user received within the rise, if any.
 * The answer has a row per existing conversation asked about.
 */
const MARK_DELIVERED = `
  with pairs as (
    select a.conversation_id, a.user_id, c.last_seq,
      max(a.seq) filter (where a.seq <= c.last_seq) as target
    from unnest(?::text[], ?::text[], ?::bigint[]) as a (conversation_id, user_id, seq)
    join conversations c on c.id = a.conversation_id
    group by a.conversation_id, a.user_id, c.last_seq
  ), locked as (
    select m.conversation_id, m.user_id, p.target,
      greatest(m.last_delivered_seq, m.last_read_seq) as old_seq
    from conversation_members m
    join pairs p on p.conversation_id = m.conversation_id and p.user_id = m.user_id
    where p.target is not null
    order by m.conversation_id, m.user_id
    for update of m
  ), moved as (
    update conversation_members m set last_delivered_seq = l.target
    from locked l
    where m.conversation_id = l.conversation_id and m.user_id = l.user_id
      and l.target > l.old_seq
    returning m.conversation_id, m.user_id, l.old_seq, l.target
  ), announced as (
    select mv.conversation_id, mv.user_id, newest.seq, newest.id
    from moved mv
    cross join lateral (
      select r.seq, r.id from messages r
      where r.conversation_id = mv.conversation_id and r.receiver_id = mv.user_id
        and r.seq > mv.old_seq and r.seq <= mv.target and r.deleted_at is null
      order by r.seq desc
      limit 1
    ) newest
  )
  select p.conversation_id, p.user_id, p.last_seq,
    exists (
      select 1 from conversation_members m
      where m.conversation_id = p.conversation_id and m.user_id = p.user_id
    ) as member,
    an.seq as announced_seq, an.id as announced_id, now() as delivered_at
  from pairs p
  left join announced an on an.conversation_id = p.conversation_id and an.user_id = p.user_id`;

export function createConversationStore(source: StoreSource): ConversationStore {
  const knex = knexOf(source);
  async function isMember(conversationId: string, userId: string): Promise<boolean> {
    const row = await knex('conversation_members')
      .where({ conversation_id: conversationId, user_id: userId })
      .first(knex.raw('1 as member'));
    return row !== undefined;
  }

  async function listConversations(
    userId: string,
    options: { limit: number; cursor?: string },
  ): Promise<ConversationPage> {
    const { limit } = options;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const { rows } = await knex.raw<{ rows: SummaryRow[] }>(LIST_CONVERSATIONS, [
      userId,
      after?.activityUs ?? null,
      after?.activityUs ?? null,
      after?.id ?? null,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      conversations: page.map(toSummary),
      ...(rows.length > limit && last
        ? { nextCursor: encodeCursor(last.activity_us, last.id) }
        : {}),
    };
  }

  async function partnersOf(userId: string, policy: EntitlementPolicy): Promise<string[]> {
    return (await partnersOfEach([userId], policy)).get(userId)!;
  }

  async function partnersOfEach(
    userIds: readonly string[],
    policy: EntitlementPolicy,
  ): Promise<Map<string, string[]>> {
    const partners = new Map<string, string[]>(userIds.map((userId) => [userId, []]));
    if (partners.size === 0) return partners;
    const { rows } = await knex.raw<{ rows: { user_id: string; partner: string }[] }>(
      PARTNERS_OF_EACH,
      [[...partners.keys()], ...pairStatusBindings(policy)],
    );
    for (const row of rows) partners.get(row.user_id)!.push(row.partner);
    // Code point order, as conversation ids have it, not the database collation's.
    for (const list of partners.values()) list.sort();
    return partners;
  }

  async function totalUnread(userId: string): Promise<number> {
    return (await unreadAndPartnersOfEach([userId], [], NO_PARTNERS)).get(userId)!.unread;
  }

  async function unreadAndPartnersOfEach(
    userIds: readonly string[],
    withPartners: readonly string[],
    policy: EntitlementPolicy,
  ): Promise<Map<string, { unread: number; partners?: string[] }>> {
    const found = new Map<string, { unread: number; partners?: string[] }>();
    const users = [...new Set(userIds)];
    if (users.length === 0) return found;
    const { rows } = await knex.raw<{
      rows: { user_id: string; unread: string; partners: string[] | null }[];
    }>(UNREAD_AND_PARTNERS_OF_EACH, [
      [...withPartners],
      ...pairStatusBindings(policy),
      [...withPartners],
      users,
    ]);
    for (const row of rows) {
      found.set(row.user_id, {
        unread: Number(row.unread),
        // Code point order, as conversation ids have it, not the database collation's.
        ...(row.partners !== null && { partners: [...row.partners].sort() }),
      });
    }
    return found;
  }

  function markRead(
    conversationId: string,
    readerId: string,
    trx?: Knex.Transaction,
  ): Promise<ReadResult> {
    return inTransaction(knex, trx, async (tx) => {
      // FOR SHARE waits for a store in flight into this conversation and keeps the next one out
      // until commit, so the watermark and the zeroed unread count describe the same messages.
      // Lock order (conversation, then member) is the same as storeMessage's.
      const conversation = (await tx('conversations')
        .where({ id: conversationId })
        .forShare()
        .first('last_seq', 'last_message_id')) as
        { last_seq: string; last_message_id: string | null } | undefined;
      const member = (await tx('conversation_members')
        .where({ conversation_id: conversationId, user_id: readerId })
        .forUpdate()
        .first('last_read_seq', 'unread_count', 'last_read_at')) as
        { last_read_seq: string; unread_count: number; last_read_at: Date | null } | undefined;
      if (!conversation || !member) throw new AppError('NOT_A_MEMBER');

      const upToSeq = Math.max(Number(conversation.last_seq), Number(member.last_read_seq));
      const upToMessageId = conversation.last_message_id;
      if (Number(member.last_read_seq) >= upToSeq && member.unread_count === 0) {
        return {
          changed: false,
          upToSeq,
          upToMessageId,
          readAt: member.last_read_at ?? new Date(),
        };
      }
      const [updated] = (await tx('conversation_members')
        .where({ conversation_id: conversationId, user_id: readerId })
        .update({
          last_read_seq: upToSeq,
          // Read implies delivered.
          last_delivered_seq: tx.raw('greatest(last_delivered_seq, ?::bigint)', [upToSeq]),
          unread_count: 0,
          last_read_at: tx.fn.now(),
        })
        .returning('last_read_at')) as { last_read_at: Date }[];
      // Advancing over only the reader's own messages reads nothing new.
      return {
        changed: member.unread_count > 0,
        upToSeq,
        upToMessageId,
        readAt: updated!.last_read_at,
      };
    });
  }

  async function markDeliveredEach(
    marks: readonly DeliveredMark[],
    trx?: Knex.Transaction,
  ): Promise<Map<string, DeliveredOutcome>> {
    const outcomes = new Map<string, DeliveredOutcome>();
    if (marks.length === 0) return outcomes;
    for (const mark of marks) {
      if (!Number.isSafeInteger(mark.upToSeq) || mark.upToSeq < 1) {
        throw new RangeError(`upToSeq must be a positive integer, got ${mark.upToSeq}`);
      }
    }
    const { rows } = await (trx ?? knex).raw<{
      rows: {
        conversation_id: string;
        user_id: string;
        last_seq: string;
        member: boolean;
        announced_seq: string | null;
        announced_id: string | null;
        delivered_at: Date;
      }[];
    }>(MARK_DELIVERED, [
      marks.map((mark) => mark.conversationId),
      marks.map((mark) => mark.userId),
      marks.map((mark) => mark.upToSeq),
    ]);
    for (const mark of marks) {
      outcomes.set(deliveredKey(mark.conversationId, mark.userId), { member: false, lastSeq: 0 });
    }
    for (const row of rows) {
      outcomes.set(deliveredKey(row.conversation_id, row.user_id), {
        member: row.member,
        lastSeq: Number(row.last_seq),
        ...(row.member &&
          row.announced_seq !== null &&
          row.announced_id !== null && {
            announced: {
              upToSeq: Number(row.announced_seq),
              upToMessageId: row.announced_id,
              deliveredAt: row.delivered_at,
            },
          }),
      });
    }
    return outcomes;
  }

  return withRedactedErrors({
    isMember,
    listConversations,
    partnersOf,
    partnersOfEach,
    totalUnread,
    unreadAndPartnersOfEach,
    markRead,
    markDeliveredEach,
  });
}

/** A policy under which nobody may chat: for lookups that want no partners. */
const NO_PARTNERS: EntitlementPolicy = { allowedStatuses: [] };

function toSummary(row: SummaryRow): ConversationSummary {
  return {
    id: row.id,
    participants: [...row.participants].sort(),
    lastMessage: row.last_message,
    lastMessageTime: row.last_message_at,
    unreadCount: row.unread_count,
    lastSeq: Number(row.last_seq),
  };
}

function encodeCursor(activityUs: string, id: string): string {
  return Buffer.from(`${activityUs}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { activityUs: string; id: string } {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new InvalidCursorError();
  const match = /^(-?\d{1,18})\|([^|]{1,201})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) throw new InvalidCursorError();
  return { activityUs: match[1]!, id: match[2]! };
}
