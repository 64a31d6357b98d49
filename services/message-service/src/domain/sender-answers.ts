import type { ChatPublisher } from '@chat/broker';
import type { DeliveryV1 } from '@chat/contracts';

/**
 * Collects the answers a batch of send commands owes its senders (`message-sent`,
 * `send-rejected`) and publishes them together: one broker message per flush instead of one per
 * command, routed to every sender's edges at once. Each `add` resolves when the flush that
 * carried it is confirmed.
 */
export interface SenderAnswers {
  add(answer: DeliveryV1): Promise<void>;
  /** Publishes what was added since the last flush; nothing when nothing was. */
  flush(): void;
}

export function createSenderAnswers(publisher: Pick<ChatPublisher, 'deliverAll'>): SenderAnswers {
  let waiting: DeliveryV1[] = [];
  let confirmed = deferred();
  return {
    add(answer) {
      waiting.push(answer);
      return confirmed.promise;
    },
    flush() {
      if (waiting.length === 0) return;
      const { resolve, reject } = confirmed;
      publisher.deliverAll(waiting).then(resolve, reject);
      waiting = [];
      confirmed = deferred();
    },
  };
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // The callers' chains handle a rejection; a flush nobody added to leaves none unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
