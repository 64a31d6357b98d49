import type { Knex } from 'knex';

/**
 * A relay's claim on pending outbox rows: until `locked_until` no other relay takes them, so
 * the claim needs no transaction held open while the relay publishes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.timestamp('locked_until', { useTz: true })
      .nullable()
      .comment('Claimed by a relay until then; null or past means free to claim');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.dropColumn('locked_until');
  });
}
