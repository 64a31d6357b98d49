import type { Knex } from 'knex';

/**
 * A user's chat partners are read from booking_entitlements by either side of the pair (a
 * connecting user may be the smaller or the larger id): the pair index serves `user_low`, this
 * one `user_high`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('booking_entitlements', (t) => {
    t.index(['user_high'], 'booking_entitlements_user_high_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('booking_entitlements', (t) => {
    t.dropIndex(['user_high'], 'booking_entitlements_user_high_idx');
  });
}
