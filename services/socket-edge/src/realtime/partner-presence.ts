import type { ChatPublisher } from '@chat/broker';
import { delivery } from '@chat/contracts';
import type { Presence } from '../state/presence';
import type { ConversationsPort } from './connection-lifecycle';

/**
 * `user-online` / `user-offline` to the partners who are online. One to an offline partner
 * would find no binding and go through the alternate exchange to the offline consumer, which
 * drops it: after an edge restart that was most of them, each a publish, a confirm and a
 * consume for nothing.
 */
export async function tellPartners(
  deps: { presence: Presence; publisher: ChatPublisher },
  userId: string,
  partners: string[],
  event: 'user-online' | 'user-offline',
): Promise<unknown> {
  const online = await Promise.all(partners.map((partner) => deps.presence.isOnline(partner)));
  return Promise.all(
    partners
      .filter((_, index) => online[index])
      .map((partner) => deps.publisher.deliver(delivery(partner, event, { userId }))),
  );
}

/**
 * The user has no socket anywhere now: `user-offline` to the partners a booking lets them chat
 * with. After a last disconnect, and after the node reaper removed a dead node's last socket.
 */
export async function tellPartnersOffline(
  deps: { presence: Presence; publisher: ChatPublisher; conversations: ConversationsPort },
  userId: string,
): Promise<unknown> {
  return tellPartners(deps, userId, await deps.conversations.partnersOf(userId), 'user-offline');
}
