import type { ChatPublisher } from '@chat/broker';
import { delivery, type PartnerPresence } from '@chat/contracts';
import type { Presence } from '../adapters/presence';
import type { ConversationsPort } from './conversations-port';

/** Whether each partner has a socket anywhere now; one Redis pipeline per turn for them all. */
export async function presenceOf(
  presence: Presence,
  partners: string[],
): Promise<PartnerPresence[]> {
  const online = await Promise.all(partners.map((partner) => presence.isOnline(partner)));
  return partners.map((userId, index) => ({ userId, online: online[index]! }));
}

/**
 * `user-online` / `user-offline` to the partners who are online. One to an offline partner
 * would find no binding and go through the alternate exchange to the offline consumer, which
 * drops it: after an edge restart that was most of them, each a publish, a confirm and a
 * consume for nothing.
 */
export function tellPartners(
  publisher: ChatPublisher,
  userId: string,
  partners: readonly PartnerPresence[],
  event: 'user-online' | 'user-offline',
): Promise<unknown> {
  return Promise.all(
    partners
      .filter((partner) => partner.online)
      .map((partner) => publisher.deliver(delivery(partner.userId, event, { userId }))),
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
  const partners = await presenceOf(deps.presence, await deps.conversations.partnersOf(userId));
  return tellPartners(deps.publisher, userId, partners, 'user-offline');
}
