/** How one `mark-delivered` ended: taken, worth sending again later, or not worth sending again. */
export type ReceiptOutcome = 'ok' | 'retry' | 'drop';

export interface DeliveryReceiptsOptions {
  /** Emits `mark-delivered`; resolves with how it ended, never rejects. */
  send(conversationId: string, upToSeq: number): Promise<ReceiptOutcome>;
  /** Whether receipts can go out now (connected). */
  canSend(): boolean;
  /** At most one receipt per conversation this often; default 250 ms. */
  intervalMs?: number;
  /** Wait before sending again after a retryable refusal; default 5000 ms. */
  retryMs?: number;
  now?: () => number;
}

export interface DeliveryReceipts {
  /** This device received the conversation's messages up to `seq` (to this user, in order). */
  note(conversationId: string, seq: number): void;
  /** Connected again: sends what is still owed. */
  resume(): void;
  close(): void;
}

interface Receipt {
  /** Highest seq received. */
  owed: number;
  /** Highest seq sent (in flight or taken). */
  reported: number;
  /** Highest seq the server took. */
  confirmed: number;
  lastSentAt: number;
  timer?: ReturnType<typeof setTimeout>;
  inFlight: boolean;
}

/**
 * Delivery receipts of one device: the highest seq received per conversation goes to the
 * server as `mark-delivered`, at most once per `intervalMs` per conversation, so a burst of a
 * hundred messages costs a receipt or two, not a hundred. The first receipt of a quiet
 * conversation goes out at once, so the sender sees "delivered" without waiting.
 */
export function createDeliveryReceipts(options: DeliveryReceiptsOptions): DeliveryReceipts {
  const intervalMs = options.intervalMs ?? 250;
  const retryMs = options.retryMs ?? 5000;
  const now = options.now ?? Date.now;
  const receipts = new Map<string, Receipt>();
  let closed = false;

  const schedule = (conversationId: string, receipt: Receipt, delayMs?: number) => {
    if (closed || receipt.timer !== undefined || receipt.inFlight) return;
    if (receipt.owed <= receipt.reported || !options.canSend()) return;
    const wait = delayMs ?? receipt.lastSentAt + intervalMs - now();
    if (wait > 0) {
      receipt.timer = setTimeout(() => {
        receipt.timer = undefined;
        schedule(conversationId, receipt, 0);
      }, wait);
      return;
    }
    const upToSeq = receipt.owed;
    receipt.reported = upToSeq;
    receipt.lastSentAt = now();
    receipt.inFlight = true;
    void options.send(conversationId, upToSeq).then((outcome) => {
      receipt.inFlight = false;
      if (outcome === 'retry') {
        receipt.reported = receipt.confirmed;
        schedule(conversationId, receipt, retryMs);
        return;
      }
      receipt.confirmed = Math.max(receipt.confirmed, upToSeq);
      schedule(conversationId, receipt);
    });
  };

  return {
    note(conversationId, seq) {
      let receipt = receipts.get(conversationId);
      if (!receipt) {
        receipt = { owed: 0, reported: 0, confirmed: 0, lastSentAt: -Infinity, inFlight: false };
        receipts.set(conversationId, receipt);
      }
      if (seq <= receipt.owed) return;
      receipt.owed = seq;
      schedule(conversationId, receipt);
    },
    resume() {
      for (const [conversationId, receipt] of receipts) {
        // What went out before the drop may never have arrived.
        if (!receipt.inFlight) receipt.reported = receipt.confirmed;
        schedule(conversationId, receipt);
      }
    },
    close() {
      closed = true;
      for (const receipt of receipts.values()) clearTimeout(receipt.timer);
      receipts.clear();
    },
  };
}
