import type { Knex } from 'knex';
import type { Db } from '../create-db';

/** What a store is made from: the service's Db, or (in this lib and its tests) a Knex instance. */
export type StoreSource = Pick<Db, 'knex'> | Knex;

/** The Knex instance behind `source` (a Knex instance is a function, a Db a plain object). */
export function knexOf(source: StoreSource): Knex {
  return typeof source === 'function' ? source : source.knex;
}
