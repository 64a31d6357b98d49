import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import { createDb, type Db } from '@chat/db';
import { createLogger } from '@chat/observability';
import { testServiceUrls } from '@chat/testing';

/** The run's migrated database (see global-setup). */
export function openTestDb(): Db {
  return createDb(
    { url: testServiceUrls().databaseUrl },
    createLogger({ service: 'test', level: 'silent' }),
  );
}

/** A user id no other test uses. */
export function newUserId(): string {
  return `u-${randomUUID()}`;
}

/** Two fresh users and their conversation id. */
export function newPair(): { a: string; b: string; conversationId: string } {
  const a = newUserId();
  const b = newUserId();
  return { a, b, conversationId: canonicalConversationId(a, b) };
}
