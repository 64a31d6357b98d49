import type { ChatMessage, SendMessageAck } from '@chat/contracts';

/** One `send-message` emit and every acknowledgement it got. */
export interface EmitRecord {
  at: number;
  acks: { at: number; ack: SendMessageAck }[];
  /** Which of the client's socket connections carried it (a disconnect swallows its answer). */
  connection: number;
}

/** One message of a sender's numbered stream, with every emit it took. */
export interface SentMessage {
  index: number;
  clientMessageId: string;
  text: string;
  emits: EmitRecord[];
  firstEmitAt: number;
  /** `ok`: acked with the stored message; `refused`: a refusal that is not retryable; `abandoned`: the client gave up. */
  outcome?: 'ok' | 'refused' | 'abandoned';
  settledAt?: number;
  stored?: ChatMessage;
  refusal?: { code: string; message: string };
}

export type Via = 'live' | 'queued' | 'resync';

/** A message the server handed to this client (`new-message` or `connected.queuedMessages`). */
export interface Handed {
  message: ChatMessage;
  /** Each time the server handed it, in order: a second one is a duplicate. */
  vias: Via[];
  firstAt: number;
}

export interface RetryCounts {
  silence: number;
  disconnected: number;
  [code: string]: number;
}
