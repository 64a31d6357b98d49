import type { Knex } from 'knex';
import * as chatSchema from './migrations/001-chat-schema';
import * as outboxLease from './migrations/002-outbox-lease';
import * as deliveredWatermark from './migrations/003-delivered-watermark';
import * as bookingPartnerIndex from './migrations/004-booking-partner-index';

/**
 * Migrations are imported, not discovered on disk, so they run the same under tsx, jest and a
 * bundled build. Append new ones; never edit one that has shipped.
 */
const migrations: Record<string, Knex.Migration> = {
  '001-chat-schema': chatSchema,
  '002-outbox-lease': outboxLease,
  '003-delivered-watermark': deliveredWatermark,
  '004-booking-partner-index': bookingPartnerIndex,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`Unknown migration ${name}`);
    return migration;
  },
};
