import type { Knex } from 'knex';

/**
 * Delivery receipts (`mark-delivered`): each member's delivered watermark beside the read one.
 * A constant default makes the column a catalogue change, no table rewrite. Rows are not
 * back-filled from last_read_seq: readers take the greater of the two (read implies delivered),
 * so rows read before this migration count as delivered up to their read watermark anyway.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conversation_members', (t) => {
    t.bigInteger('last_delivered_seq')
      .notNullable()
      .defaultTo(0)
      .comment('Delivered watermark: the member’s devices have every message up to it');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('conversation_members', (t) => {
    t.dropColumn('last_delivered_seq');
  });
}
