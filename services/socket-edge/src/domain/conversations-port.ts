import type { EntitlementPolicy } from '@chat/db';
import { createTurnBatcher } from './turn-batcher';

export interface ConversationsPort {
  /**
   * The user's unread total and partners: those a booking lets them chat with now, whose
   * presence `connected` reports and whom a first socket tells `user-online` (likewise
   * `partnersOf`, whom a last socket tells `user-offline`).
   */
  onConnect(userId: string): Promise<{ unreadCount: number; partners: string[] }>;
  partnersOf(userId: string): Promise<string[]>;
}

/**
 * The store's lookups, each turn's batched into one query: after an edge restart the whole
 * crowd reconnects at once, and a query or two per socket would queue on the pool. Partners
 * are those `policy` lets the user chat with now.
 */
export function batchPerTurn(
  store: {
    partnersOfEach(
      userIds: readonly string[],
      policy: EntitlementPolicy,
    ): Promise<Map<string, string[]>>;
    unreadAndPartnersOfEach(
      userIds: readonly string[],
      withPartners: readonly string[],
      policy: EntitlementPolicy,
    ): Promise<Map<string, { unread: number; partners?: string[] }>>;
  },
  policy: EntitlementPolicy,
): ConversationsPort {
  const onConnect = createTurnBatcher((userIds: string[]) =>
    store.unreadAndPartnersOfEach(userIds, userIds, policy),
  );
  return {
    async onConnect(userId) {
      const { unread, partners } = await onConnect(userId);
      return { unreadCount: unread, partners: partners ?? [] };
    },
    partnersOf: createTurnBatcher((userIds: string[]) => store.partnersOfEach(userIds, policy)),
  };
}
