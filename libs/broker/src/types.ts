import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@chat/observability';
import type { ReceivedMessage } from './received-message';

/** Declares exchanges, queues and bindings; runs on every (re)connect, so it must be idempotent. */
export type TopologySetup = (channel: Channel, context: TopologyContext) => Promise<void>;

export interface TopologyContext {
  /**
   * A fresh channel on the same connection, closed by the caller when done: for a declaration
   * that may fail with a channel error (a 406 closes its channel) without losing `channel`.
   */
  openChannel(): Promise<Channel>;
}

export interface PublishOptions {
  /** Ask the broker to return the message when no queue is bound; publish then rejects with UnroutableError. */
  mandatory?: boolean;
  /** Survive a broker restart; default true. */
  persistent?: boolean;
  /**
   * Per-message TTL in ms: a queue drops the message once it has waited that long (a classic
   * queue when it reaches the head). Default: none.
   */
  expirationMs?: number;
  messageId?: string;
  correlationId?: string;
  /** The message type, e.g. "chat.message.created.v1". */
  type?: string;
  headers?: Record<string, unknown>;
  /**
   * More routing keys the message is routed by, besides `routingKey` (AMQP's `BCC`: the broker
   * removes the list before delivering). A queue bound to several of them gets one copy.
   */
  bcc?: string[];
}

export type Publish = (
  exchange: string,
  routingKey: string,
  body: unknown,
  options?: PublishOptions,
) => Promise<void>;

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface ConsumeOptions {
  /** Unacked messages this consumer may hold at once. */
  prefetch: number;
  /**
   * Where a poison message is parked, with its reason in the `x-poison-reason` header. Without it
   * the message is rejected without requeue, so the queue's own dead-letter exchange takes it.
   */
  deadLetter?: { exchange: string; routingKey: string };
  /** Wait before a message whose handler failed is requeued, in ms; default 1000. */
  retryDelayMs?: number;
  /** Failures of one message before it counts as poison; default 10. */
  maxAttempts?: number;
  exclusive?: boolean;
  /**
   * Park a message that has no messageId at once, unhandled: its failures could not be counted
   * apart from another message's. For our own commands, which always carry one; default false
   * (other services' events may come without, and are counted by a hash of their content).
   */
  requireMessageId?: boolean;
}

export interface CancelOptions {
  /**
   * How long to wait for the messages in hand, in ms; default 30,000. Past it the channel is
   * closed anyway and the broker hands them out again. `Infinity` when the caller's guarantee
   * depends on their finishing first (a send partition's lock must outlive its batch in hand).
   */
  deadlineMs?: number;
}

export interface Consumer {
  /** Stops receiving and waits, up to a deadline, for the messages in hand to finish. */
  cancel(options?: CancelOptions): Promise<void>;
}

/** What the publisher and the consumers need to know of the connection they share. */
export interface ConnectionState {
  /** The live connection, or undefined while (re)connecting. */
  readonly current: ChannelModel | undefined;
  readonly stopped: boolean;
  /** The live connection, waiting for it until `deadline` (epoch ms). */
  waitForConnection(deadline: number): Promise<ChannelModel>;
  readonly log: Logger;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
