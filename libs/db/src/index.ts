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
} from './stores/db-errors';
export {
  createMessageStore,
  type GatedStoreResult,
  type MessagePage,
  type MessageStore,
  type NewMessage,
  type StoreGate,
  type StoreMessageResult,
  type StoredMessage,
} from './stores/message-store';
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
} from './stores/conversation-store';
export {
  createBookingStore,
  pairKey,
  type BookingEventInput,
  type BookingStore,
  type EntitlementPolicy,
  type PairStatus,
} from './stores/booking-store';
export {
  createOutboxStore,
  type OutboxEntry,
  type OutboxRow,
  type OutboxStore,
  type OutboxStoreOptions,
} from './stores/outbox-store';
export type { Knex } from 'knex';
