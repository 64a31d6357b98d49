export { createDb, describeUrl, type Db, type DbConfig } from './create-db';
export { migrateLatest, migrateRollbackAll } from './migrate';
export type { Knex } from 'knex';
