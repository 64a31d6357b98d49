import type { ChatSocket } from './connection';
import { ChatClientError } from './errors';
import type {
  ChatMessage,
  ConversationClosed,
  DeliveryReceipt,
  ReadReceipt,
  TypingNotice,
} from './types';
import {
  isChatMessage,
  isConnectedInfo,
  isDeliveryReceipt,
  isPartnerPresence,
  isReadReceipt,
  isTypingNotice,
  type ConnectedInfo,
} from './wire-guards';

export interface ServerEventHandlers {
  /** `connected`: who the user is and the server's unread count, before anything else of the connection. */
  connected(info: ConnectedInfo): void;
  /** After `connected`'s queued messages and whatever came before it were handed in. */
  caughtUp(): void;
  disconnected(): void;
  ingest(messages: ChatMessage[], source: 'live' | 'queued'): void;
  /** `message-sent`: a send of this user was stored (from this device or another). */
  sentElsewhere(message: ChatMessage): void;
  delayed(clientMessageId: string): void;
  presence(userId: string, online: boolean): void;
  read(receipt: ReadReceipt): void;
  delivered(receipt: DeliveryReceipt): void;
  typing(notice: TypingNotice): void;
  closedConversation(event: ConversationClosed): void;
  joined(conversationId: string): void;
  error(error: ChatClientError): void;
  /** The server sent something that is not the protocol; it was dropped. */
  malformed(what: string): void;
}

/**
 * Listens to the server's events, checks their shape, and hands them on. The server binds a
 * new socket to its deliveries before it reads the offline queue, so a live message can come
 * before `connected`: such events wait and follow the queued messages, which are older. So do
 * presence changes: `connected.partnerPresence` was read after the binding, so a change that
 * came before it is at least as new and is applied after it.
 */
export function wireServerEvents(socket: ChatSocket, handlers: ServerEventHandlers): void {
  let early: (() => void)[] | undefined;
  const afterConnected = (work: () => void) => (early ? early.push(work) : work());
  const checked =
    <T>(what: string, guard: (value: unknown) => value is T, handle: (value: T) => void) =>
    (value: unknown) => {
      if (guard(value)) handle(value);
      else handlers.malformed(what);
    };

  socket.on('connect', () => {
    early = [];
  });
  socket.on('disconnect', () => {
    early = undefined;
    handlers.disconnected();
  });
  socket.on(
    'connected',
    checked('connected event', isConnectedInfo, (info) => {
      const waiting = early ?? [];
      early = undefined;
      handlers.connected(info);
      const partners = (info.partnerPresence ?? []).filter(isPartnerPresence);
      if (partners.length < (info.partnerPresence ?? []).length)
        handlers.malformed('partner presence');
      for (const partner of partners) handlers.presence(partner.userId, partner.online);
      const queued = info.queuedMessages.filter(isChatMessage);
      if (queued.length < info.queuedMessages.length) handlers.malformed('queued message');
      handlers.ingest(queued, 'queued');
      for (const work of waiting) work();
      handlers.caughtUp();
    }),
  );
  socket.on(
    'new-message',
    checked('new-message', isChatMessage, (message) =>
      afterConnected(() => handlers.ingest([message], 'live')),
    ),
  );
  socket.on(
    'message-sent',
    checked('message-sent', isChatMessage, (message) =>
      afterConnected(() => handlers.sentElsewhere(message)),
    ),
  );
  socket.on(
    'messages-read',
    checked('messages-read', isReadReceipt, (receipt) =>
      afterConnected(() => handlers.read(receipt)),
    ),
  );
  socket.on(
    'message-delivered',
    checked('message-delivered', isDeliveryReceipt, (receipt) =>
      afterConnected(() => handlers.delivered(receipt)),
    ),
  );
  socket.on('send-delayed', (payload) => {
    if (typeof payload?.clientMessageId === 'string') handlers.delayed(payload.clientMessageId);
  });
  socket.on('user-online', (payload) => {
    const userId = payload?.userId;
    if (typeof userId === 'string') afterConnected(() => handlers.presence(userId, true));
  });
  socket.on('user-offline', (payload) => {
    const userId = payload?.userId;
    if (typeof userId === 'string') afterConnected(() => handlers.presence(userId, false));
  });
  socket.on('typing', checked('typing', isTypingNotice, handlers.typing));
  socket.on('conversation-closed', (payload) => {
    if (typeof payload?.conversationId === 'string') {
      handlers.closedConversation({
        conversationId: payload.conversationId,
        reason: String(payload.reason),
      });
    }
  });
  socket.on('joined-conversation', (payload) => {
    if (typeof payload?.conversationId === 'string') handlers.joined(payload.conversationId);
  });
  socket.on('error', (payload) => {
    const code = typeof payload?.code === 'string' ? payload.code : 'BAD_RESPONSE';
    const message =
      typeof payload?.message === 'string' ? payload.message : 'The server reported an error';
    handlers.error(
      new ChatClientError(code, message, {
        ...(typeof payload?.event === 'string' && { event: payload.event }),
      }),
    );
  });
}
