import type { ChatPublisher } from '@chat/broker';
import type { Logger } from '@chat/observability';
import type { RedisClient } from '@chat/redis';
import { startDeadNodeReaper } from '../../adapters/dead-node-reaper';
import { startNodeLiveness } from '../../adapters/node-liveness';
import type { Presence } from '../../adapters/presence';
import type { ConversationsPort } from '../../domain/conversations-port';
import { presenceOf, tellPartners, tellPartnersOffline } from '../../domain/partner-presence';
import type { ChatServer } from './chat-socket';

export interface PresenceUpkeep {
  /** Stops looking for dead nodes (first thing at shutdown). */
  stopReaping(): void;
  /** Stops announcing this node alive; after the sockets' clean-up. */
  stopAnnouncing(): Promise<void>;
}

/**
 * Keeps presence true when an edge node dies without its disconnect clean-up (SIGKILL, a lost
 * host; issue #11): this node announces that it is alive, and every third of `aliveTtlSec` one
 * node of the cluster reaps the nodes that stopped, telling partners `user-offline` for users
 * left with no socket. A node that finds it was taken for dead registers its sockets again.
 */
export async function startPresenceUpkeep(deps: {
  io: ChatServer;
  redis: RedisClient;
  nodeId: string;
  aliveTtlSec: number;
  presenceTtlSec: number;
  presence: Presence;
  publisher: ChatPublisher;
  conversations: ConversationsPort;
  logger: Logger;
}): Promise<PresenceUpkeep> {
  const { io, presence, conversations } = deps;
  // Taken for dead while alive (cut off from Redis longer than EDGE_ALIVE_TTL_SEC): the reaper
  // may have removed this node's sockets and told partners user-offline; they come back online.
  const registerSocketsAgain = async () => {
    await Promise.all(
      [...io.of('/').sockets.values()].map(async (socket) => {
        const { userId } = socket.data.user;
        const { firstSocket } = await presence.add(userId, socket.id);
        if (!firstSocket) return;
        const partners = await presenceOf(presence, await conversations.partnersOf(userId));
        await tellPartners(deps.publisher, userId, partners, 'user-online');
      }),
    );
  };
  const liveness = await startNodeLiveness({
    redis: deps.redis,
    nodeId: deps.nodeId,
    aliveTtlMs: deps.aliveTtlSec * 1000,
    presenceTtlSec: deps.presenceTtlSec,
    onRevived: registerSocketsAgain,
    logger: deps.logger,
  });
  const reaper = startDeadNodeReaper({
    redis: deps.redis,
    nodeId: deps.nodeId,
    intervalMs: (deps.aliveTtlSec * 1000) / 3,
    onUserOffline: (userId) => tellPartnersOffline(deps, userId),
    logger: deps.logger,
  });
  return { stopReaping: () => reaper.stop(), stopAnnouncing: () => liveness.stop() };
}
