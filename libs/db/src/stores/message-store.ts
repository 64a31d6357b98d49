import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { knexOf, type StoreSource } from './knex-of';
import { canonicalConversationId } from '@chat/contracts';
import { AppError } from '@chat/errors';
import {
  orderedPair,
  pairStatusBindings,
  pairStatusesSql,
  type EntitlementPolicy,
} from './booking-store';
import { isUniqueViolation, withRedactedErrors } from './db-errors';
import {
  DELIVERED_SQL,
  MESSAGE_COLUMNS,
  selectMessages,
  toStoredMessage,
  toStoredMessages,
  type MessageRow,
  type StoredMessage,
} from './message-rows';

export type { StoredMessage } from './message-rows';

export interface NewMessage {
  /** The canonical pair of sender and receiver (`canonicalConversationId`). */
  conversationId: string;
  senderId: string;
  receiverId: string;
  body: string;
  clientMessageId: string;
}

export interface StoreMessageResult {
  message: StoredMessage;
  /** False when the sender had already stored this clientMessageId; nothing was changed. */
  created: boolean;
}

/**
 * A page of a conversation's messages, either
 * - `{ limit, offset }`: newest first, skipping the `offset` newest; or
 * - `{ limit, beforeSeq?, afterSeq? }`: only seqs below `beforeSeq` and above `afterSeq`;
 *   newest first, except when `afterSeq` is given: then oldest first, so a reconnecting client
 *   gets exactly the messages after the last one it has, in order.
 */
export type MessagePage =
  | { limit: number; offset: number; beforeSeq?: never; afterSeq?: never }
  | { limit: number; offset?: never; beforeSeq?: number; afterSeq?: number };

export interface MessageStore {
  /**
   * Stores a message in one transaction (a savepoint inside `trx` when given): allocates the
   * conversation's next seq, updates its last message, adds both members and the receiver's
   * unread count. Idempotent per (senderId, clientMessageId): a repeat, concurrent or not,
   * returns the stored message with `created: false`, even when its conversation or body differ.
   * Throws AppError INVALID_CONVERSATION when conversationId is not the pair's canonical id.
   */
  storeMessage(input: NewMessage, trx?: Knex.Transaction): Promise<StoreMessageResult>;
  /**
   * storeMessage for a batch in one statement, as if stored one after another in array order
   * (a conversation's messages get consecutive seqs in that order). One result per input, in
   * input order; a clientMessageId repeated within the batch is stored once, the repeats answer
   * `created: false` with the stored message.
   */
  storeMessages(
    inputs: readonly NewMessage[],
    trx?: Knex.Transaction,
  ): Promise<StoreMessageResult[]>;
  /**
   * storeMessages, gated by bookings in the same statement: only messages whose pair the policy
   * entitles now (or that `gate.vouched` lists) are stored or answered as stored; the others
   * are refused, saying whether the projection knows the pair at all.
   */
  storeEntitledMessages(
    inputs: readonly NewMessage[],
    gate: StoreGate,
  ): Promise<GatedStoreResult[]>;
  /** The message, or undefined when there is none (or it was deleted). */
  findMessage(id: string): Promise<StoredMessage | undefined>;
  /** The stored messages with these (senderId, clientMessageId) keys; those not stored are absent. */
  findByClientMessageIds(
    keys: readonly { senderId: string; clientMessageId: string }[],
  ): Promise<StoredMessage[]>;
  listMessages(conversationId: string, page: MessagePage): Promise<StoredMessage[]>;
  /** The messages with these ids that exist, oldest first; ids that are not UUIDs are skipped. */
  listMessagesByIds(ids: readonly string[]): Promise<StoredMessage[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/*
 * One statement stores a batch of messages, so the common case is one round trip and atomic
 * without an explicit transaction:
 * - `input`: the batch in its order (`ord`). When the batch is gated by bookings, `accepted` is
 *   the part whose pair a booking entitles now (pairStatusesSql, read in the same snapshot as
 *   the insert) or that the caller vouches for; otherwise all of it.
 * - `existing`: accepted messages whose (sender, clientMessageId) is stored already; `fresh`:
 *   the rest, each key once (its first occurrence in the batch).
 * - `allocated`: the conversation row is the per-conversation sequence. The upsert takes its row
 *   lock, so concurrent stores into one conversation queue here, and each batch adds its count
 *   to last_seq; its messages take the seqs after the old value in batch order. A failed
 *   statement undoes the increment with the messages, so seqs stay gap-free. clock_timestamp()
 *   is read under that lock, so created_at never goes backwards as seq grows. Rows are locked
 *   in id order, so two batches cannot deadlock on each other.
 * - `members`: both members exist and the receiver's unread count grows. It reads `allocated`,
 *   so it runs after the conversation row is locked — the order markRead locks them in too.
 * - the messages themselves; a concurrent twin (same sender and clientMessageId committed since
 *   this statement's snapshot) fails the statement on its unique key.
 * The answer holds the stored rows ('created'), the rows stored before ('existing') and, when
 * gated, the keys refused for want of a booking ('refused', with whether the pair is known).
 */
function storeMessagesSql(gated: boolean): string {
  const columns = MESSAGE_COLUMNS.join(', ');
  const accepted = gated
    ? `statuses as (
    ${pairStatusesSql('(select distinct pair_low as low, pair_high as high from input) as p')}
  ), vouched as (
    select * from unnest(?::text[], ?::text[]) as v (low, high)
  ), gate as (
    select s.low, s.high, s.known,
      s.entitled or exists (select 1 from vouched v where v.low = s.low and v.high = s.high) as open
    from statuses s
  ), accepted as (
    select i.* from input i
    join gate g on g.low = i.pair_low and g.high = i.pair_high
    where g.open
  ),`
    : `accepted as (select * from input),`;
  const refused = gated
    ? `union all
  select 'refused', g.known, false, false, null, null, null, i.sender_id, null, null,
    i.client_message_id, null, null
  from input i
  join gate g on g.low = i.pair_low and g.high = i.pair_high
  where not g.open`
    : '';
  return `
  with input as (
    select *
    from unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
      with ordinality as i (id, conversation_id, sender_id, receiver_id, body, client_message_id,
        pair_low, pair_high, ord)
  ), ${accepted} existing as (
    select distinct m.id
    from accepted i
    join messages m on m.sender_id = i.sender_id and m.client_message_id = i.client_message_id
  ), fresh as (
    select distinct on (i.sender_id, i.client_message_id) i.*
    from accepted i
    where not exists (
      select 1 from messages m
      where m.sender_id = i.sender_id and m.client_message_id = i.client_message_id
    )
    order by i.sender_id, i.client_message_id, i.ord
  ), numbered as (
    select f.*, row_number() over (partition by f.conversation_id order by f.ord) as n
    from fresh f
  ), totals as (
    select conversation_id, count(*) as added,
      (array_agg(id order by ord desc))[1] as last_id,
      (array_agg(body order by ord desc))[1] as last_body
    from fresh
    group by conversation_id
  ), allocated as (
    insert into conversations as c (id, last_seq, last_message_id, last_message, last_message_at)
    select conversation_id, added, last_id, last_body, clock_timestamp()
    from totals
    order by conversation_id
    on conflict (id) do update set
      last_seq = c.last_seq + excluded.last_seq,
      last_message_id = excluded.last_message_id,
      last_message = excluded.last_message,
      last_message_at = greatest(c.last_message_at, clock_timestamp()),
      updated_at = clock_timestamp()
    returning id, last_seq, last_message_at
  ), members as (
    insert into conversation_members as cm (conversation_id, user_id, unread_count)
    select allocated.id, member.user_id, member.unread_count
    from allocated
    join (
      select conversation_id, user_id, sum(unread)::int as unread_count
      from (
        select conversation_id, receiver_id as user_id, 1 as unread from fresh
        union all
        select conversation_id, sender_id, 0 from fresh
      ) as each_member
      group by conversation_id, user_id
    ) as member on member.conversation_id = allocated.id
    order by allocated.id, member.user_id
    on conflict (conversation_id, user_id) do update
      set unread_count = cm.unread_count + excluded.unread_count
      where excluded.unread_count > 0
  ), inserted as (
    insert into messages
      (id, conversation_id, seq, sender_id, receiver_id, body, client_message_id, created_at)
    select n.id, n.conversation_id, a.last_seq - t.added + n.n, n.sender_id, n.receiver_id,
      n.body, n.client_message_id, a.last_message_at
    from numbered n
    join allocated a on a.id = n.conversation_id
    join totals t on t.conversation_id = n.conversation_id
    returning ${columns}
  )
  select 'created' as outcome, true as known, false as read, false as delivered, ${columns}
  from inserted
  union all
  select 'existing', true, coalesce(r.last_read_seq >= m.seq, false), ${DELIVERED_SQL('r', 'm')},
    ${MESSAGE_COLUMNS.map((column) => `m.${column}`).join(', ')}
  from existing e
  join messages m on m.id = e.id
  left join conversation_members r
    on r.conversation_id = m.conversation_id and r.user_id = m.receiver_id
  ${refused}`;
}

const STORE_MESSAGES = storeMessagesSql(false);
const STORE_ENTITLED_MESSAGES = storeMessagesSql(true);

/** Who may store: the booking policy, and pairs the caller vouches for (the booking service said yes). */
export interface StoreGate {
  policy: EntitlementPolicy;
  now?: Date;
  /** pairKey-ordered pairs allowed whatever the projection says. */
  vouched?: Iterable<readonly [string, string]>;
}

/** What became of one message of a gated batch. */
export type GatedStoreResult = StoreMessageResult | { refused: { pairKnown: boolean } };

interface StoreRow extends MessageRow {
  outcome: 'created' | 'existing' | 'refused';
  known: boolean;
}

export function createMessageStore(source: StoreSource): MessageStore {
  const knex = knexOf(source);
  const keyOf = (senderId: string, clientMessageId: string) =>
    `${senderId}\u0000${clientMessageId}`;

  async function insertMessages(
    db: Knex,
    inputs: readonly NewMessage[],
    gate?: StoreGate,
  ): Promise<GatedStoreResult[]> {
    const ids = inputs.map(() => randomUUID());
    const pairs = inputs.map((input) => orderedPair(input.senderId, input.receiverId));
    const inputBindings = [
      ids,
      inputs.map((input) => input.conversationId),
      inputs.map((input) => input.senderId),
      inputs.map((input) => input.receiverId),
      inputs.map((input) => input.body),
      inputs.map((input) => input.clientMessageId),
      pairs.map(([low]) => low),
      pairs.map(([, high]) => high),
    ];
    const vouched = [...(gate?.vouched ?? [])].map(([a, b]) => orderedPair(a, b));
    const { rows } = await db.raw<{ rows: StoreRow[] }>(
      gate ? STORE_ENTITLED_MESSAGES : STORE_MESSAGES,
      gate
        ? [
            ...inputBindings,
            ...pairStatusBindings(gate.policy, gate.now),
            vouched.map(([low]) => low),
            vouched.map(([, high]) => high),
          ]
        : inputBindings,
    );
    const outcomes = new Map<string, StoreRow>();
    for (const row of rows) outcomes.set(keyOf(row.sender_id, row.client_message_id), row);
    return inputs.map((input, index) => {
      const row = outcomes.get(keyOf(input.senderId, input.clientMessageId));
      if (!row) throw new Error('stored batch is missing a message');
      if (row.outcome === 'refused') return { refused: { pairKnown: row.known } };
      const { outcome, known: _known, ...message } = row;
      // A key repeated within the batch was created by its first occurrence only.
      return {
        message: toStoredMessage(message),
        created: outcome === 'created' && message.id === ids[index],
      };
    });
  }

  /** Runs the batch, once more if a concurrent twin made it fail (the retry sees it stored). */
  async function runBatch(
    inputs: readonly NewMessage[],
    gate: StoreGate | undefined,
    trx?: Knex.Transaction,
  ): Promise<GatedStoreResult[]> {
    for (const input of inputs) assertCanonical(input);
    if (inputs.length === 0) return [];
    const attempt = () =>
      // Inside a caller's transaction, a savepoint: a duplicate must not abort the caller's work.
      trx
        ? trx.transaction((savepoint) => insertMessages(savepoint, inputs, gate))
        : insertMessages(knex, inputs, gate);
    try {
      return await attempt();
    } catch (error) {
      // A concurrent twin committed between the snapshot and the insert (a client re-sending
      // through another partition, or a redelivered command racing its first run).
      if (!isUniqueViolation(error, 'messages_sender_client_id_key')) throw error;
      return attempt();
    }
  }

  async function storeMessages(
    inputs: readonly NewMessage[],
    trx?: Knex.Transaction,
  ): Promise<StoreMessageResult[]> {
    return (await runBatch(inputs, undefined, trx)) as StoreMessageResult[];
  }

  const storeEntitledMessages: MessageStore['storeEntitledMessages'] = (inputs, gate) =>
    runBatch(inputs, gate);

  async function storeMessage(
    input: NewMessage,
    trx?: Knex.Transaction,
  ): Promise<StoreMessageResult> {
    const [result] = await storeMessages([input], trx);
    return result!;
  }

  async function findByClientMessageIds(
    keys: readonly { senderId: string; clientMessageId: string }[],
  ): Promise<StoredMessage[]> {
    if (keys.length === 0) return [];
    const rows = (await selectMessages(knex).whereRaw(
      '(m.sender_id, m.client_message_id) in (select * from unnest(?::text[], ?::text[]))',
      [keys.map((key) => key.senderId), keys.map((key) => key.clientMessageId)],
    )) as MessageRow[];
    return toStoredMessages(rows);
  }

  async function findMessage(id: string): Promise<StoredMessage | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = (await selectMessages(knex).where('m.id', id).whereNull('m.deleted_at').first()) as
      MessageRow | undefined;
    return row && toStoredMessage(row);
  }

  async function listMessages(conversationId: string, page: MessagePage): Promise<StoredMessage[]> {
    assertCount('limit', page.limit, 1);
    const query = selectMessages(knex)
      .where('m.conversation_id', conversationId)
      .whereNull('m.deleted_at')
      .limit(page.limit);
    if (page.offset !== undefined) {
      assertCount('offset', page.offset, 0);
      if (page.beforeSeq !== undefined || page.afterSeq !== undefined) {
        throw new RangeError('a message page takes offset or beforeSeq/afterSeq, not both');
      }
      return toStoredMessages(await query.orderBy('m.seq', 'desc').offset(page.offset));
    }
    if (page.beforeSeq !== undefined) {
      assertCount('beforeSeq', page.beforeSeq, 0);
      query.where('m.seq', '<', page.beforeSeq);
    }
    if (page.afterSeq !== undefined) {
      assertCount('afterSeq', page.afterSeq, 0);
      query.where('m.seq', '>', page.afterSeq);
    }
    return toStoredMessages(
      await query.orderBy('m.seq', page.afterSeq === undefined ? 'desc' : 'asc'),
    );
  }

  async function listMessagesByIds(ids: readonly string[]): Promise<StoredMessage[]> {
    const uuids = [...new Set(ids.filter((id) => UUID.test(id)))];
    if (uuids.length === 0) return [];
    const rows = (await selectMessages(knex)
      .whereRaw('m.id = any(?::uuid[])', [uuids])
      .whereNull('m.deleted_at')
      .orderBy([
        { column: 'm.created_at', order: 'asc' },
        { column: 'm.conversation_id', order: 'asc' },
        { column: 'm.seq', order: 'asc' },
      ])) as MessageRow[];
    return toStoredMessages(rows);
  }

  return withRedactedErrors({
    storeMessage,
    storeMessages,
    storeEntitledMessages,
    findByClientMessageIds,
    findMessage,
    listMessages,
    listMessagesByIds,
  });
}

function assertCanonical(input: NewMessage): void {
  if (
    input.senderId === input.receiverId ||
    input.conversationId !== canonicalConversationId(input.senderId, input.receiverId)
  ) {
    throw new AppError('INVALID_CONVERSATION');
  }
}

/** Pages come from validated requests; anything else here is a bug in the caller. */
function assertCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}
