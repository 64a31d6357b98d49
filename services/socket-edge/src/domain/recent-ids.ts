/**
 * Remembers the last `capacity` keys, oldest forgotten first. A redelivered command publishes
 * its deliveries again; this keeps a socket from seeing the same message twice.
 */
export function createRecentIds(capacity: number) {
  const keys = new Set<string>();
  return {
    /** True when `key` was seen before; otherwise remembers it and returns false. */
    seen(key: string): boolean {
      if (keys.has(key)) return true;
      keys.add(key);
      if (keys.size > capacity) keys.delete(keys.values().next().value as string);
      return false;
    },
  };
}
