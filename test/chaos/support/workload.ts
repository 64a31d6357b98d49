import { randomUUID } from 'node:crypto';
import { canonicalConversationId } from '@chat/contracts';
import { createBookingStore } from '@chat/db';
import { CarefulClient, type SentMessage } from './careful-client';
import type { ChaosSystem } from './chaos-system';

export interface WorkloadOptions {
  /** Pairs whose two users are online throughout and both send. */
  duplexPairs: number;
  /** Pairs whose receiver goes offline before the fault and comes back after it. */
  awayPairs: number;
}

/** The scenario's users: every client, who sends, who goes away, and the recovery probe. */
export interface Workload {
  clients: CarefulClient[];
  senders: CarefulClient[];
  awayReceivers: CarefulClient[];
  awaySenders: CarefulClient[];
  probeSender: CarefulClient;
}

/** Users in pairs with a confirmed booking each (as TutorGo's booking events give them), all connected. */
export async function createWorkload(
  system: ChaosSystem,
  options: WorkloadOptions,
): Promise<Workload> {
  const bookings = createBookingStore(system.db.knex);
  const urls = { socketUrl: system.socketUrl, historyUrl: system.historyUrl };
  const pair = async (label: string) => {
    const a = `${label}-${randomUUID()}`;
    const b = `${label}-${randomUUID()}`;
    await bookings.applyBookingEvent({
      bookingId: `b-${randomUUID()}`,
      studentId: a,
      tutorId: b,
      status: 'confirmed',
      occurredAt: new Date(),
    });
    const conversationId = canonicalConversationId(a, b);
    return [
      new CarefulClient(a, b, conversationId, urls),
      new CarefulClient(b, a, conversationId, urls),
    ] as const;
  };
  const duplex = await Promise.all(Array.from({ length: options.duplexPairs }, () => pair('d')));
  const away = await Promise.all(Array.from({ length: options.awayPairs }, () => pair('a')));
  const [probeSender, probeReceiver] = await pair('p');
  const clients = [...duplex.flat(), ...away.flat(), probeSender, probeReceiver];
  await Promise.all(clients.map((client) => client.connect()));
  return {
    clients,
    senders: [...duplex.flat(), ...away.map(([sender]) => sender)],
    awaySenders: away.map(([sender]) => sender),
    awayReceivers: away.map(([, receiver]) => receiver),
    probeSender,
  };
}

/**
 * A fresh message sent at the heal, acked how long after it. When the fault took the probe's
 * socket away, the probe comes back as a new connection at once (so the figure is the
 * system's recovery, not socket.io-client's reconnection backoff).
 */
export async function probeFromHeal(
  workload: Workload,
  healedAt: number,
  giveUpAt: number,
  urls: { socketUrl: string; historyUrl: string },
): Promise<{ ms?: number; message?: SentMessage }> {
  let probe = workload.probeSender;
  if (!probe.socket.connected) {
    // socket.io-client may be in its reconnection backoff: a new connection, as a user
    // reloading the page would make, measures the system instead.
    const fresh = new CarefulClient(probe.userId, probe.partnerId, probe.conversationId, urls);
    probe.close();
    workload.clients.splice(workload.clients.indexOf(probe), 1, fresh);
    workload.probeSender = fresh;
    probe = fresh;
    await probe.connect(30_000).catch(() => undefined);
  }
  const message = await probe.sendOne(giveUpAt);
  return {
    message,
    ms: message.outcome === 'ok' && message.settledAt ? message.settledAt - healedAt : undefined,
  };
}
