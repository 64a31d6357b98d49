import { io, type Socket } from 'socket.io-client';
import type {
  ChatMessage,
  ClientToServerEvents,
  ConnectedPayload,
  HistoryMessage,
  SendMessageAck,
  ServerToClientEvents,
} from '@chat/contracts';
import { mintToken } from '@chat/testing';
import type { EmitRecord, Handed, RetryCounts, SentMessage, Via } from './client-records';
import { fetchMessagesAfter } from './history-resync';

export type { EmitRecord, Handed, RetryCounts, SentMessage, Via } from './client-records';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Refusals a careful client answers by sending the same clientMessageId again. */
export const RETRYABLE_CODES = new Set([
  'OVERLOADED',
  'TIMEOUT',
  'UNAVAILABLE',
  'RATE_LIMITED',
  'BOOKING_CHECK_UNAVAILABLE',
]);
/** How long a careful client waits for an answer before it sends the same message again. */
export const SILENCE_MS = 10_000;

/**
 * A careful chat client with the real socket.io-client: it sends one message at a time per
 * conversation and waits for each acknowledgement, sends the same clientMessageId again after
 * a retryable refusal or SILENCE_MS without an answer, reconnects when dropped, and after a
 * reconnect reads what it missed from history (`?after=<seq>`). It records everything it
 * emitted and everything it was handed, for the checks to compare with PostgreSQL.
 */
export class CarefulClient {
  readonly socket: ClientSocket;
  readonly sent: SentMessage[] = [];
  /** Server-handed messages from the partner, by id. */
  readonly handed = new Map<string, Handed>();
  /** Ids only the history resync produced (the server never handed them). */
  readonly resynced = new Map<string, HistoryMessage>();
  readonly retries: RetryCounts = { silence: 0, disconnected: 0 };
  /** `connected` events received (the first connect included). */
  connects = 0;
  /** Disconnects the client did not ask for. */
  drops = 0;
  /** When the socket closed, each time (asked for or not). */
  readonly disconnectTimes: number[] = [];
  /** Receptions whose seq was lower than one handed before (informational). */
  backwards = 0;
  resyncFailures = 0;
  /** Socket connections so far; each reconnect starts a new one. */
  private connection = 0;
  private readonly knownSeqs = new Set<number>();
  private maxHandedSeq = 0;
  private stayOffline = false;
  private stopping = false;
  private giveUpAt = Infinity;
  private stream: Promise<void> | undefined;
  private readonly connectedWaiters = new Set<() => void>();
  private resyncing: Promise<void> = Promise.resolve();

  constructor(
    readonly userId: string,
    readonly partnerId: string,
    readonly conversationId: string,
    private readonly urls: { socketUrl: string; historyUrl: string },
  ) {
    this.socket = io(urls.socketUrl, {
      auth: { token: mintToken(userId, { expiresIn: '2h' }) },
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
      autoConnect: false,
    });
    this.socket.on('connect', () => this.connection++);
    this.socket.on('connected', (payload) => this.onConnected(payload));
    this.socket.on('new-message', (message) => this.onHanded(message, 'live'));
    this.socket.on('disconnect', (reason) => {
      this.disconnectTimes.push(Date.now());
      if (this.stayOffline) return;
      this.drops++;
      // The server closing the socket (shutdown, failed setup) stops socket.io-client's own
      // reconnection; a careful client comes back anyway.
      if (reason === 'io server disconnect') {
        setTimeout(() => {
          if (!this.stayOffline && !this.socket.connected) this.socket.connect();
        }, 500);
      }
    });
  }

  /** Connects and resolves with `connected`, or rejects after `timeoutMs`. */
  async connect(timeoutMs = 15_000): Promise<void> {
    this.stayOffline = false;
    const before = this.connects;
    this.socket.connect();
    await this.waitForConnected(before, Date.now() + timeoutMs);
  }

  /** Goes away on purpose (not counted as a drop) until `connect()`. */
  goOffline(): void {
    this.stayOffline = true;
    this.socket.disconnect();
  }

  /**
   * Sends a numbered stream, one message at a time, pausing after each ack for `intervalMs`
   * on average (half to one and a half times it, so that clients do not move in lockstep).
   */
  startStream(intervalMs: number): void {
    if (this.stream) throw new Error('stream already running');
    this.stream = (async () => {
      while (!this.stopping) {
        await this.sendCarefully(this.nextMessage());
        if (!this.stopping) await delay(intervalMs * (0.5 + Math.random()));
      }
    })();
  }

  /** Stops the stream after the message in hand, which may take until `giveUpAt`. */
  async stopStream(giveUpAt: number): Promise<void> {
    this.stopping = true;
    this.giveUpAt = giveUpAt;
    await this.stream;
  }

  /** Sends one message outside the stream (e.g. the recovery probe). */
  async sendOne(giveUpAt = Infinity): Promise<SentMessage> {
    const message = this.nextMessage();
    const previous = this.giveUpAt;
    this.giveUpAt = giveUpAt;
    try {
      await this.sendCarefully(message);
    } finally {
      this.giveUpAt = previous;
    }
    return message;
  }

  /** When the connection that carried `emit` closed, if it has. */
  closedAfter(emit: EmitRecord): number | undefined {
    return this.disconnectTimes.find((at) => at >= emit.at);
  }

  /** Whether the connection that carried `emit` has ended (its answer can no longer come). */
  connectionEnded(emit: EmitRecord): boolean {
    return emit.connection !== this.connection || !this.socket.connected;
  }

  /** Emits that have no acknowledgement yet and could still get one (their connection lives). */
  unansweredOnLiveConnection(): EmitRecord[] {
    return this.sent.flatMap((message) =>
      message.emits.filter((emit) => emit.acks.length === 0 && !this.connectionEnded(emit)),
    );
  }

  /** Waits for the history resync a reconnect started, if any. */
  settled(): Promise<void> {
    return this.resyncing;
  }

  close(): void {
    this.stayOffline = true;
    this.socket.disconnect();
    this.socket.removeAllListeners();
  }

  private nextMessage(): SentMessage {
    const index = this.sent.length + 1;
    const message: SentMessage = {
      index,
      clientMessageId: `${this.userId}.${index}`,
      text: `message ${index} from ${this.userId}`,
      emits: [],
      firstEmitAt: 0,
    };
    this.sent.push(message);
    return message;
  }

  private async sendCarefully(message: SentMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (Date.now() >= this.giveUpAt) {
        message.outcome = 'abandoned';
        message.settledAt = Date.now();
        return;
      }
      if (!this.socket.connected) {
        try {
          await this.waitForConnected(this.connects - 1, this.giveUpAt);
        } catch {
          continue;
        }
      }
      const answer = await this.emitOnce(message);
      if (answer.kind === 'ack' && answer.ack.ok) {
        message.outcome = 'ok';
        message.stored = answer.ack.message;
        message.settledAt = Date.now();
        this.knownSeqs.add(answer.ack.message.seq);
        return;
      }
      if (answer.kind === 'ack' && !answer.ack.ok) {
        const { code } = answer.ack.error;
        if (!RETRYABLE_CODES.has(code)) {
          message.outcome = 'refused';
          message.refusal = answer.ack.error;
          message.settledAt = Date.now();
          return;
        }
        this.retries[code] = (this.retries[code] ?? 0) + 1;
        const retryAfterSec = /try again in (\d+) s/.exec(answer.ack.error.message)?.[1];
        await delay(Math.max(backoffMs(attempt), Number(retryAfterSec ?? 0) * 1000));
        continue;
      }
      this.retries[answer.kind]++;
    }
  }

  private emitOnce(
    message: SentMessage,
  ): Promise<{ kind: 'ack'; ack: SendMessageAck } | { kind: 'silence' | 'disconnected' }> {
    const emit: EmitRecord = { at: Date.now(), acks: [], connection: this.connection };
    message.emits.push(emit);
    if (message.firstEmitAt === 0) message.firstEmitAt = emit.at;
    return new Promise((resolve) => {
      let answered = false;
      const finish = (
        result: { kind: 'ack'; ack: SendMessageAck } | { kind: 'silence' | 'disconnected' },
      ) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        this.socket.off('disconnect', onDisconnect);
        resolve(result);
      };
      const onDisconnect = () => finish({ kind: 'disconnected' });
      const timer = setTimeout(() => finish({ kind: 'silence' }), SILENCE_MS);
      this.socket.once('disconnect', onDisconnect);
      // A plain callback (no socket.io timeout): a late answer is still recorded, so the
      // checks can count the answers of every emit.
      this.socket.emit(
        'send-message',
        {
          conversationId: this.conversationId,
          receiverId: this.partnerId,
          message: message.text,
          clientMessageId: message.clientMessageId,
        },
        (ack: SendMessageAck) => {
          emit.acks.push({ at: Date.now(), ack });
          finish({ kind: 'ack', ack });
        },
      );
    });
  }

  private onConnected(payload: ConnectedPayload): void {
    this.connects++;
    for (const message of payload.queuedMessages) this.onHanded(message, 'queued');
    for (const resolve of this.connectedWaiters) resolve();
    if (this.connects > 1) {
      this.resyncing = this.resyncing.then(() => this.resync());
    }
  }

  private onHanded(message: ChatMessage, via: Via): void {
    if (message.senderId !== this.partnerId) return;
    const known = this.handed.get(message.id);
    if (known) {
      known.vias.push(via);
      return;
    }
    if (message.seq < this.maxHandedSeq) this.backwards++;
    this.maxHandedSeq = Math.max(this.maxHandedSeq, message.seq);
    this.knownSeqs.add(message.seq);
    this.handed.set(message.id, { message, vias: [via], firstAt: Date.now() });
  }

  /** Reads the conversation from the first seq it does not know. */
  private async resync(): Promise<void> {
    let after = 0;
    while (this.knownSeqs.has(after + 1)) after++;
    try {
      const messages = await fetchMessagesAfter(
        this.urls.historyUrl,
        mintToken(this.userId),
        this.conversationId,
        after,
      );
      for (const message of messages) {
        this.knownSeqs.add(message.seq);
        if (message.senderId === this.partnerId && !this.handed.has(message.id)) {
          this.resynced.set(message.id, message);
        }
      }
    } catch {
      this.resyncFailures++;
    }
  }

  private waitForConnected(afterCount: number, deadline: number): Promise<void> {
    if (this.connects > afterCount && this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.connectedWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.connectedWaiters.delete(done);
          reject(new Error(`${this.userId} got no connected event in time`));
        },
        Math.min(Math.max(0, deadline - Date.now()), 2 ** 31 - 1),
      );
      this.connectedWaiters.add(done);
    });
  }
}

/** Exponential backoff from 200 ms up to 4 s, with equal jitter (half fixed, half random). */
function backoffMs(attempt: number): number {
  const ceiling = Math.min(200 * 2 ** (attempt - 1), 4000);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
