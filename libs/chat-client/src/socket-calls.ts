import type { ChatSocket } from './connection';
import type { SendRequest, TransmitResult } from './outbox';
import type { ReceiptOutcome } from './receipts';
import { isRetryableCode } from './retry-policy';
import { isChatMessage } from './wire-guards';

/** How long a receipt or typing notice waits for its acknowledgement. */
const SMALL_ACK_TIMEOUT_MS = 10_000;

export interface SocketCalls {
  send(request: SendRequest, timeoutMs: number): Promise<TransmitResult>;
  markDelivered(conversationId: string, upToSeq: number): Promise<ReceiptOutcome>;
  typing(conversationId: string, isTyping: boolean): void;
  join(conversationId: string): void;
  leave(conversationId: string): void;
}

/**
 * The client events, each emitted only while the socket is set up (`ready`): socket.io-client
 * would otherwise buffer them and replay them after a reconnect, behind the client's own
 * re-sends. Answers are read defensively: a malformed one is a refusal, never a crash.
 */
export function createSocketCalls(socket: ChatSocket, ready: () => boolean): SocketCalls {
  return {
    send(request, timeoutMs) {
      return new Promise((resolve) => {
        if (!ready()) return resolve({ kind: 'no-answer' });
        socket.timeout(timeoutMs).emit(
          'send-message',
          {
            conversationId: request.conversationId,
            receiverId: request.receiverId,
            message: request.text,
            clientMessageId: request.clientMessageId,
          },
          (error, ack) => {
            if (error) return resolve({ kind: 'no-answer' });
            if (ack?.ok === true && isChatMessage(ack.message)) {
              return resolve({ kind: 'stored', message: ack.message });
            }
            const refusal = ack?.ok === false ? ack.error : undefined;
            resolve({
              kind: 'refused',
              code: typeof refusal?.code === 'string' ? refusal.code : 'BAD_RESPONSE',
              message: typeof refusal?.message === 'string' ? refusal.message : 'Malformed answer',
            });
          },
        );
      });
    },
    markDelivered(conversationId, upToSeq) {
      return new Promise((resolve) => {
        if (!ready()) return resolve('retry');
        socket
          .timeout(SMALL_ACK_TIMEOUT_MS)
          .emit('mark-delivered', { conversationId, upToSeq }, (error, ack) => {
            // Dropped with the connection: again after the reconnect. Silence on a live
            // socket is a server without receipts: not worth repeating.
            if (error) return resolve(socket.connected ? 'drop' : 'retry');
            if (ack?.ok === true) return resolve('ok');
            const code = ack?.ok === false ? ack.error?.code : undefined;
            resolve(typeof code === 'string' && isRetryableCode(code) ? 'retry' : 'drop');
          });
      });
    },
    typing(conversationId, isTyping) {
      if (!ready()) return;
      // Best effort: a refused or lost notice only shortens what the partner sees.
      socket
        .timeout(SMALL_ACK_TIMEOUT_MS)
        .emit('typing', { conversationId, isTyping }, () => undefined);
    },
    join(conversationId) {
      socket.emit('join-conversation', conversationId);
    },
    leave(conversationId) {
      if (ready()) socket.emit('leave-conversation', conversationId);
    },
  };
}
