import type { ChatMessage } from './types';

/** Messages the timeline is missing: every seq after `afterSeq` and before `beforeSeq`. */
export interface Gap {
  afterSeq: number;
  beforeSeq: number;
}

/**
 * One conversation's messages as the user sees them: each message once (by id), in seq order.
 *
 * The watermark is the highest seq up to which the timeline is complete. A new message right
 * after it is handed out at once (with any held ones it unblocks); one further ahead is held
 * until the gap before it is filled (from history), so new messages are always handed out in
 * seq order and none is skipped. Before the first message or page the watermark is unknown:
 * the first new message starts it, and what lies before is history, there to page back into,
 * not missed.
 */
export class ConversationTimeline {
  private mark: number | undefined;
  /** Messages at or below the watermark, ascending by seq. */
  private readonly settled: ChatMessage[] = [];
  /** Messages above the watermark waiting for the ones before them, by seq. */
  private readonly held = new Map<number, ChatMessage>();
  /** Every message id the timeline holds, with its seq. */
  private readonly ids = new Map<string, number>();
  private readonly seqs = new Set<number>();

  constructor(readonly conversationId: string) {}

  /** Highest seq the timeline is complete up to; undefined before anything arrived. */
  get watermark(): number | undefined {
    return this.mark;
  }

  /** The messages handed out so far (and history loaded), oldest first. */
  messages(): readonly ChatMessage[] {
    return this.settled;
  }

  /** The seq of a message this timeline holds, by id. */
  seqOf(messageId: string): number | undefined {
    return this.ids.get(messageId);
  }

  /** The lowest seq loaded, the cursor for the page before it. */
  oldestSeq(): number | undefined {
    return this.settled[0]?.seq;
  }

  /**
   * New messages (live, queued, sent, or fetched to fill a gap or resync), in any order and
   * with repeats: returns those that can be handed out now, in seq order.
   */
  addNew(messages: readonly ChatMessage[]): ChatMessage[] {
    for (const message of messages) {
      if (this.knows(message)) continue;
      this.mark ??= message.seq - 1;
      if (message.seq <= this.mark) {
        // Older than what is shown already (it lost a race with a newer one): history now.
        this.insertSettled(message);
      } else {
        this.remember(message);
        this.held.set(message.seq, message);
      }
    }
    return this.drain();
  }

  /**
   * A page of history. With `latest` (the newest page, or an empty one) it also starts an
   * unknown watermark at the page's newest seq (0 for an empty conversation). Messages at or
   * below the watermark are stored quietly; any above it are new and handed back in order.
   */
  addHistory(messages: readonly ChatMessage[], options: { latest?: boolean } = {}): ChatMessage[] {
    if (this.mark === undefined && options.latest) {
      this.mark = messages.reduce((max, message) => Math.max(max, message.seq), 0);
    }
    const newer: ChatMessage[] = [];
    for (const message of messages) {
      if (this.knows(message)) continue;
      if (this.mark === undefined || message.seq <= this.mark) this.insertSettled(message);
      else newer.push(message);
    }
    return this.addNew(newer);
  }

  /** What must be fetched before the held messages can be handed out; undefined when nothing is held. */
  gap(): Gap | undefined {
    if (this.held.size === 0 || this.mark === undefined) return undefined;
    return { afterSeq: this.mark, beforeSeq: Math.min(...this.held.keys()) };
  }

  private knows(message: ChatMessage): boolean {
    // Seqs are unique per conversation too: a second id for a known seq is not a new message.
    return this.ids.has(message.id) || this.seqs.has(message.seq);
  }

  private remember(message: ChatMessage): void {
    this.ids.set(message.id, message.seq);
    this.seqs.add(message.seq);
  }

  private drain(): ChatMessage[] {
    const released: ChatMessage[] = [];
    for (;;) {
      const next = this.mark === undefined ? undefined : this.held.get(this.mark + 1);
      if (!next) return released;
      this.held.delete(next.seq);
      this.mark = next.seq;
      this.settled.push(next);
      released.push(next);
    }
  }

  private insertSettled(message: ChatMessage): void {
    this.remember(message);
    let low = 0;
    let high = this.settled.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.settled[middle]!.seq < message.seq) low = middle + 1;
      else high = middle;
    }
    this.settled.splice(low, 0, message);
  }
}
