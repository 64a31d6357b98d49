import knexFactory, { type Knex } from 'knex';
import { createDb, migrateLatest, migrateRollbackAll, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testRunId, withDatabase } from '@chat/testing';

const logger = createLogger({ service: 'test', level: 'silent' });
const all = [
  '001-chat-schema',
  '002-outbox-lease',
  '003-delivered-watermark',
  '004-booking-partner-index',
];
const tables = [
  'conversations',
  'conversation_members',
  'messages',
  'booking_entitlements',
  'outbox',
];

describe('migrations', () => {
  const adminUrl = process.env.CHAT_TEST_ADMIN_DATABASE_URL!;
  const database = `chat_test_${testRunId()}_migrations`;
  let admin: Knex;
  let db: Db;

  beforeAll(async () => {
    admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
    await admin.raw('create database ??', [database]);
    db = createDb({ url: withDatabase(adminUrl, database) }, logger);
  });

  afterAll(async () => {
    await db.close();
    await admin.raw('drop database if exists ?? with (force)', [database]);
    await admin.destroy();
  });

  const existingTables = async () =>
    (
      await db
        .knex('information_schema.tables')
        .where({ table_schema: 'public' })
        .pluck('table_name')
    ).filter((name: string) => tables.includes(name));

  it('when migrated up on a fresh database, then every table exists and the keys hold', async () => {
    expect(await migrateLatest(db.knex)).toEqual(all);
    expect((await existingTables()).sort()).toEqual([...tables].sort());

    await db.knex('conversations').insert({ id: 'a_b' });
    const message = { conversation_id: 'a_b', sender_id: 'a', receiver_id: 'b', body: 'hi' };
    await db.knex('messages').insert({ ...message, seq: 1, client_message_id: 'c1' });
    await expect(
      db.knex('messages').insert({ ...message, seq: 2, client_message_id: 'c1' }),
    ).rejects.toThrow(/messages_sender_client_id_key/);
    await expect(
      db.knex('messages').insert({ ...message, seq: 1, client_message_id: 'c2' }),
    ).rejects.toThrow(/messages_conversation_seq_key/);
  });

  it('when migrated up, then a member starts with a delivered watermark of 0', async () => {
    await db.knex('conversation_members').insert({ conversation_id: 'a_b', user_id: 'b' });
    const member = (await db
      .knex('conversation_members')
      .where({ conversation_id: 'a_b', user_id: 'b' })
      .first('last_delivered_seq')) as { last_delivered_seq: string };
    expect(Number(member.last_delivered_seq)).toBe(0);
  });

  it('when migrated again, then nothing is applied twice', async () => {
    expect(await migrateLatest(db.knex)).toEqual([]);
  });

  it('when rolled back, then every table is gone and it can migrate up again', async () => {
    expect(await migrateRollbackAll(db.knex)).toEqual([...all].reverse());
    expect(await existingTables()).toEqual([]);
    expect(await migrateLatest(db.knex)).toEqual(all);
  });
});
