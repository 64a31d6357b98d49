import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('conversations', (t) => {
    t.text('id').primary().comment('Canonical pair <smallerUserId>_<largerUserId>');
    t.text('kind').notNullable().defaultTo('direct');
    t.bigInteger('last_seq').notNullable().defaultTo(0).comment('Sequence of the newest message');
    t.uuid('last_message_id').nullable();
    t.text('last_message').nullable();
    t.timestamp('last_message_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('conversation_members', (t) => {
    t.text('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.text('user_id').notNullable();
    t.bigInteger('last_read_seq').notNullable().defaultTo(0).comment('Read watermark');
    t.timestamp('last_read_at', { useTz: true }).nullable();
    t.integer('unread_count').notNullable().defaultTo(0);
    t.timestamp('joined_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['conversation_id', 'user_id']);
  });
  await knex.raw(
    'create index conversation_members_user_idx on conversation_members (user_id, conversation_id)',
  );

  await knex.schema.createTable('messages', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('conversation_id').notNullable().references('conversations.id').onDelete('CASCADE');
    t.bigInteger('seq').notNullable();
    t.text('sender_id').notNullable();
    t.text('receiver_id').notNullable();
    t.text('body').notNullable();
    t.text('client_message_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('edited_at', { useTz: true }).nullable();
    t.timestamp('deleted_at', { useTz: true }).nullable();
    t.unique(['conversation_id', 'seq'], { indexName: 'messages_conversation_seq_key' });
    t.unique(['sender_id', 'client_message_id'], { indexName: 'messages_sender_client_id_key' });
  });

  await knex.schema.createTable('booking_entitlements', (t) => {
    t.text('booking_id').primary();
    t.text('student_id').notNullable();
    t.text('tutor_id').notNullable();
    t.text('user_low').notNullable().comment('Smaller of the two user ids, as in conversation ids');
    t.text('user_high').notNullable();
    t.text('status').notNullable();
    t.timestamp('start_time', { useTz: true }).nullable();
    t.timestamp('end_time', { useTz: true }).nullable();
    t.timestamp('occurred_at', { useTz: true })
      .nullable()
      .comment('Time of the event that set this state; older events never overwrite newer ones');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_low', 'user_high'], 'booking_entitlements_pair_idx');
  });

  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.text('exchange').notNullable();
    t.text('routing_key').notNullable();
    t.jsonb('payload').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('published_at', { useTz: true }).nullable();
  });
  await knex.raw('create index outbox_unpublished_idx on outbox (id) where published_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('outbox');
  await knex.schema.dropTableIfExists('booking_entitlements');
  await knex.schema.dropTableIfExists('messages');
  await knex.schema.dropTableIfExists('conversation_members');
  await knex.schema.dropTableIfExists('conversations');
}
