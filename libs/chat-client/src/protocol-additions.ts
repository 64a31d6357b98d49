import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { DeliveryReceipt, TypingNotice } from './types';

/**
 * Events of issue #12 (typing, delivery receipts) in the wire format agreed with the server
 * side. They are declared here until libs/contracts carries them; an older server ignores the
 * two client events, so the client stays usable against it.
 */
export interface TypingPayload {
  conversationId: string;
  isTyping: boolean;
}

export interface MarkDeliveredPayload {
  conversationId: string;
  /** Every message of the conversation up to this seq reached this device (cumulative). */
  upToSeq: number;
}

/** The optional acknowledgement of `typing` and `mark-delivered`. */
export type SimpleAck = { ok: true } | { ok: false; error: { code: string; message: string } };

export interface AdditionalClientEvents {
  typing: (payload: TypingPayload, ack?: (result: SimpleAck) => void) => void;
  'mark-delivered': (payload: MarkDeliveredPayload, ack?: (result: SimpleAck) => void) => void;
}

export interface AdditionalServerEvents {
  typing: (payload: TypingNotice) => void;
  'message-delivered': (payload: DeliveryReceipt) => void;
}

/**
 * The client events with their acknowledgement required rather than optional: socket.io-client
 * types `socket.timeout(ms).emit(…, (error, answer) => …)` only for events whose last
 * parameter is a callback.
 */
type WithAck<Events> = {
  [E in keyof Events]: Events[E] extends (...args: infer A) => void
    ? (...args: Required<A>) => void
    : never;
};

export type ClientEvents = WithAck<ClientToServerEvents & AdditionalClientEvents>;
export type ServerEvents = ServerToClientEvents & AdditionalServerEvents;
