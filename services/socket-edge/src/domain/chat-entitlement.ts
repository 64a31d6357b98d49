import { conversationParticipants } from '@chat/contracts';
import { pairKey, type BookingStore, type EntitlementPolicy } from '@chat/db';
import { AppError } from '@chat/errors';
import { createTurnBatcher } from './turn-batcher';

/**
 * Whether a booking lets two users chat now, by message-service's send rule, for signals the
 * edge relays itself (typing). Remembered for a while, since a typist asks every few seconds.
 */
export interface ChatEntitlement {
  /** Rejects UNAVAILABLE when the projection cannot be read. */
  allows(userId: string, partnerId: string): Promise<boolean>;
  /** Forgets what is known of the conversation's pair: its booking just ended. */
  forget(conversationId: string): void;
}

export interface ChatEntitlementOptions {
  bookings: Pick<BookingStore, 'pairStatuses'>;
  policy: EntitlementPolicy;
  /** How long a "yes" is believed without asking again; default 30 s. */
  rememberMs?: number;
  /** Pairs remembered at most (the oldest are forgotten first); default 10000. */
  maxPairs?: number;
  now?: () => number;
}

/**
 * The booking projection, asked once per turn for every pair asked about in it, and a "yes"
 * remembered for `rememberMs`. A "no" is never remembered: a booking confirmed a moment ago
 * must not wait for it to expire. A booking that ends is forgotten at once when the edge hands
 * out `conversation-closed` for it (the delivery router calls `forget`), so a cancelled booking
 * stops typing as soon as its members hear of the cancellation; a completed booking whose grace
 * days run out stops within `rememberMs`.
 */
export function createChatEntitlement(options: ChatEntitlementOptions): ChatEntitlement {
  const rememberMs = options.rememberMs ?? 30_000;
  const maxPairs = Math.max(1, options.maxPairs ?? 10_000);
  const now = options.now ?? Date.now;
  // Insertion order is expiry order: every entry lives rememberMs from when it was set.
  const allowedUntil = new Map<string, number>();
  // Bumped by every forget: a lookup that a forget overtook (its answer may predate the end of
  // the booking) is believed once but not remembered. Forgets are rare; the cost is a re-ask.
  let forgets = 0;

  const lookup = createTurnBatcher(async (keys: string[]) => {
    const pairs = keys.map((key) => key.split('\u0000') as [string, string]);
    const statuses = await options.bookings.pairStatuses(pairs, options.policy);
    return new Map(keys.map((key) => [key, statuses.get(key)?.entitled ?? false]));
  });

  function remember(key: string): void {
    allowedUntil.delete(key);
    allowedUntil.set(key, now() + rememberMs);
    for (const oldest of allowedUntil.keys()) {
      if (allowedUntil.size <= maxPairs) break;
      allowedUntil.delete(oldest);
    }
  }

  return {
    async allows(userId, partnerId) {
      const key = pairKey(userId, partnerId);
      const until = allowedUntil.get(key);
      if (until !== undefined && until > now()) return true;
      if (until !== undefined) allowedUntil.delete(key);
      const forgetsBefore = forgets;
      let allowed: boolean;
      try {
        allowed = await lookup(key);
      } catch (error) {
        throw new AppError('UNAVAILABLE', 'Could not check the booking, try again', {
          cause: error,
        });
      }
      if (allowed && forgets === forgetsBefore) remember(key);
      return allowed;
    },
    forget(conversationId) {
      const pair = conversationParticipants(conversationId);
      if (!pair) return;
      allowedUntil.delete(pairKey(...pair));
      forgets++;
    },
  };
}
