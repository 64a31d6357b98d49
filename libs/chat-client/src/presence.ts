import type { PresenceChange, PresenceStatus } from './client-types';

export interface PresenceBook {
  set(userId: string, status: 'online' | 'offline'): void;
  /** This client went offline: what it knew may be stale by the time it is back. */
  forget(): void;
  get(userId: string): PresenceStatus;
}

/**
 * Partners' presence: the state `connected` reports, then the changes `user-online` /
 * `user-offline` tell. A user never heard of is `unknown` (not a partner now, or a server older
 * than `connected.partnerPresence`), and everyone becomes `unknown` again while this client is
 * disconnected.
 */
export function createPresence(onChange: (change: PresenceChange) => void): PresenceBook {
  const known = new Map<string, 'online' | 'offline'>();
  return {
    set(userId, status) {
      if (known.get(userId) === status) return;
      known.set(userId, status);
      onChange({ userId, status });
    },
    forget() {
      const users = [...known.keys()];
      known.clear();
      for (const userId of users) onChange({ userId, status: 'unknown' });
    },
    get: (userId) => known.get(userId) ?? 'unknown',
  };
}
