export {
  createDb,
  describeUrl,
  type Db,
  type DbConfig,
  type RunInTransaction,
  type Transaction,
} from './create-db';
export { ensureDatabaseExists } from './ensure-database';
export { localBookingId } from './local-booking-id';
export {
  lockSpace,
  openLockSession,
  type HeldLock,
  type LockSession,
  type LockSessionOptions,
} from './lock-session';
export { migrateLatest, migrateRollbackAll } from './migrate';
export {
  isDatabaseUnavailable,
  isRetryableDatabaseError,
  isStatementTimeout,
} from './repositories/db-errors';
export {
  createMessageStore,
  type GatedStoreResult,
  type MessagePage,
  type MessageStore,
  type NewMessage,
  type StoreGate,
  type StoreMessageResult,
  type StoredMessage,
} from './repositories/message-repository';
export {
  createConversationStore,
  deliveredKey,
  InvalidCursorError,
  type ConversationPage,
  type ConversationStore,
  type ConversationSummary,
  type DeliveredMark,
  type DeliveredOutcome,
  type ReadResult,
} from './repositories/conversation-repository';
export {
  createBookingStore,
  pairKey,
  type BookingEventInput,
  type BookingStore,
  type EntitlementPolicy,
  type PairStatus,
} from './repositories/booking-repository';
export {
  createOutboxStore,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStore,
  type OutboxStoreOptions,
} from './repositories/outbox-repository';
export type { Knex } from 'knex';
