/**
 * Send commands this edge has published to each partition and not yet seen settled. Bounding
 * them is the edge's admission control: past the bound a send is refused at once (OVERLOADED,
 * retryable) instead of joining a queue that would only answer TIMEOUT after SEND_ACK_TIMEOUT_MS.
 * The bound is per edge node, so a partition's backlog is at most edges × limit.
 */
export interface PartitionBacklog {
  /** Counts one send into `partition`; false (nothing counted) when it is full. */
  tryAdmit(partition: number): boolean;
  /** Uncounts one send admitted into `partition`. */
  release(partition: number): void;
  /** Sends in flight across every partition. */
  readonly size: number;
}

export function createPartitionBacklog(partitions: number, limit: number): PartitionBacklog {
  const inFlight = new Array<number>(partitions).fill(0);
  let size = 0;
  return {
    tryAdmit(partition) {
      if ((inFlight[partition] ?? 0) >= limit) return false;
      inFlight[partition] = (inFlight[partition] ?? 0) + 1;
      size++;
      return true;
    },
    release(partition) {
      if ((inFlight[partition] ?? 0) === 0) return;
      inFlight[partition]!--;
      size--;
    },
    get size() {
      return size;
    },
  };
}
