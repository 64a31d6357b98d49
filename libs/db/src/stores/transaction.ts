import type { Knex } from 'knex';

/**
 * Runs `work` in the caller's transaction when one is given, otherwise in a transaction of its
 * own that commits when `work` resolves and rolls back when it rejects.
 */
export function inTransaction<T>(
  knex: Knex,
  trx: Knex.Transaction | undefined,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  return trx ? work(trx) : knex.transaction(work);
}
