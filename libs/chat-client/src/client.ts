import type {
  ChatClient,
  ChatClientEvents,
  ChatClientOptions,
  ConnectionState,
} from './client-types';
import { createConnection } from './connection';
import { conversationIdOf } from './conversation-id';
import { ChatClientError } from './errors';
import { createHistoryApi } from './history-api';
import { createMessagePipeline, type MessageSource } from './message-pipeline';
import { createStatusBook } from './message-status';
import { createOutbox } from './outbox';
import { createPresence } from './presence';
import { randomId } from './random-id';
import { createDeliveryReceipts } from './receipts';
import { createRoomJoins } from './room-joins';
import { wireServerEvents } from './server-events';
import { createSocketCalls } from './socket-calls';
import { userIdOfToken } from './token-claims';
import { createTokenSource } from './token-source';
import { TypedEmitter } from './typed-emitter';
import { createPartnerTyping, createTypingSender } from './typing';
import type { ChatMessage } from './types';
import { createUnreadTracker } from './unread-counts';

/**
 * A chat client for TutorGo chat (docs/protocol.md): one Socket.IO connection and the REST
 * API, with an outbox that never loses nor doubles a send, conversations kept complete and in
 * order across reconnects, unread counts, presence, receipts and typing.
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  const emitter = new TypedEmitter<ChatClientEvents>();
  const aborts = new AbortController();
  const tokens = createTokenSource(options.getToken);
  let state: ConnectionState = 'offline';
  let userId: string | undefined;
  let closed = false;
  /** True from `connected` to the disconnect: the server has set the socket up. */
  let ready = false;
  /** Counts connections, so a resync finishing late does not speak for a newer one. */
  let connectionNumber = 0;
  const openConversations = new Set<string>();
  const opening = new Map<string, Promise<readonly ChatMessage[]>>();

  const setState = (next: ConnectionState) => {
    if (state === next || (state === 'closed' && next !== 'closed')) return;
    state = next;
    emitter.emit('connection', next);
  };
  const reportError = (error: ChatClientError) => emitter.emit('error', error);

  const connection = createConnection({
    url: options.url,
    tokens,
    socketOptions: options.socketOptions,
    reconnect: options.reconnect,
    onError: reportError,
    onConnecting: () => setState('connecting'),
  });
  const { socket } = connection;
  const calls = createSocketCalls(socket, () => ready);
  const history = createHistoryApi({
    baseUrl: options.historyUrl ?? options.url,
    token: () => tokens.current(),
    refreshToken: () => tokens.fresh(),
    fetch: options.fetch,
    signal: aborts.signal,
  });

  const statuses = createStatusBook((update) => emitter.emit('message-status', update));
  const unread = createUnreadTracker((counts) => emitter.emit('unread', counts));
  const presence = createPresence((change) => emitter.emit('presence', change));
  const partnerTyping = createPartnerTyping(
    (notice) => emitter.emit('typing', notice),
    options.typing,
  );
  const typingSender = createTypingSender(calls.typing, options.typing);
  const receipts = createDeliveryReceipts({
    send: calls.markDelivered,
    canSend: () => ready,
    intervalMs: options.deliveryReceiptIntervalMs,
  });
  const joins = createRoomJoins(calls.join);

  const isOwn = (message: ChatMessage) => message.senderId === userId;
  const handOut = (messages: ChatMessage[], source: MessageSource) => {
    for (const message of messages) {
      if (isOwn(message)) {
        statuses.stored(message);
      } else if (message.receiverId === userId) {
        unread.arrived(message);
        receipts.note(message.conversationId, message.seq);
        if (source === 'live') partnerTyping.stop(message.conversationId, message.senderId);
      }
      emitter.emit('message', message);
    }
  };
  const pipeline = createMessagePipeline({
    history,
    onMessages: handOut,
    onHistory: (entries) => {
      for (const { message, delivered } of entries) {
        if (isOwn(message)) statuses.stored(message, delivered);
      }
    },
    onError: (error, conversationId) =>
      reportError(new ChatClientError(error.code, error.message, { conversationId, cause: error })),
    gapFillDelayMs: options.gapFillDelayMs,
  });
  const outbox = createOutbox({
    transmit: (request) => calls.send(request, options.sendAckTimeoutMs ?? 20_000),
    canSend: () => ready,
    maxInFlight: options.maxSendsInFlight,
    backoff: options.sendRetry,
    onStored: (_request, message) => {
      statuses.stored(message);
      pipeline.ingest([message], 'sent');
    },
    onFailed: (request, error) =>
      statuses.failed(request.conversationId, request.clientMessageId, error),
  });

  /** Joins a conversation's room on the current connection; a refusal is the caller's to report. */
  const joinRoom = async (conversationId: string) => {
    const outcome = await joins.join(conversationId);
    if (outcome.kind === 'refused') throw outcome.error;
  };

  /** The connection is set up and its queued messages are in: send, rejoin, catch up. */
  const onCaughtUp = async () => {
    const number = connectionNumber;
    // What was typed while offline never went out: the next keystroke sends true again.
    typingSender.reset();
    outbox.resume();
    receipts.resume();
    const conversations = [...openConversations];
    for (const conversationId of conversations) {
      joinRoom(conversationId).catch((error: ChatClientError) => reportError(error));
    }
    await Promise.all(conversations.map((conversationId) => pipeline.resync(conversationId)));
    if (number === connectionNumber && ready) setState('online');
  };

  wireServerEvents(socket, {
    connected: (info) => {
      connectionNumber++;
      userId = info.userId;
      ready = true;
      setState('resyncing');
      unread.setTotal(info.unreadCount, info.timestamp);
    },
    caughtUp: () => void onCaughtUp(),
    ingest: (messages, source) => pipeline.ingest(messages, source),
    disconnected: () => {
      ready = false;
      outbox.interrupted();
      joins.interrupted();
      typingSender.reset();
      partnerTyping.clear();
      presence.forget();
      setState(closed ? 'closed' : 'offline');
    },
    sentElsewhere: (message) => {
      // Ours from this device (its ack may still be on the way) or from another device.
      outbox.answer(message);
      pipeline.ingest([message], 'sent');
    },
    delayed: (clientMessageId) => statuses.delayed(clientMessageId),
    presence: (presenceUserId, online) => {
      presence.set(presenceUserId, online ? 'online' : 'offline');
      if (!online && userId)
        partnerTyping.stop(conversationIdOf(userId, presenceUserId), presenceUserId);
    },
    read: (receipt) => {
      if (receipt.upToMessageId !== null) {
        const seq = pipeline.timeline(receipt.conversationId)?.seqOf(receipt.upToMessageId);
        statuses.read(
          receipt.conversationId,
          seq === undefined ? { readAt: receipt.readAt } : { seq },
        );
      }
      emitter.emit('read', receipt);
    },
    delivered: (receipt) => {
      statuses.delivered(receipt.conversationId, receipt.upToSeq);
      emitter.emit('delivered', receipt);
    },
    typing: (notice) => {
      if (notice.userId !== userId) partnerTyping.receive(notice);
    },
    closedConversation: (event) => emitter.emit('conversation-closed', event),
    joined: (conversationId) => joins.joined(conversationId),
    error: (error) => {
      if (error.event === 'join-conversation') joins.refused(error);
      // A send's refusal comes in its acknowledgement too, which the outbox acts on.
      if (error.event !== 'send-message') reportError(error);
    },
    malformed: (what) =>
      reportError(new ChatClientError('BAD_RESPONSE', `Dropped a malformed ${what}`)),
  });

  const knownUserId = async () => userId ?? userIdOfToken(await tokens.current());

  const open = async (conversationId: string) => {
    openConversations.add(conversationId);
    // Statuses of own messages in the page need to know which are own.
    userId ??= await knownUserId();
    const joined = ready ? joinRoom(conversationId) : Promise.resolve();
    // Both run; a join refused is the answer even if the page loaded.
    const [messages] = await Promise.all([
      pipeline.loadLatest(conversationId, options.pageSize ?? 50),
      joined,
    ]);
    return messages;
  };

  const client: ChatClient = {
    get userId() {
      return userId;
    },
    get state() {
      return state;
    },
    on: (event, listener) => emitter.on(event, listener),
    once: (event, listener) => emitter.once(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    connect: () => connection.open(),
    async close() {
      if (closed) return;
      closed = true;
      connection.close();
      aborts.abort();
      outbox.close(
        new ChatClientError('CLOSED', 'The chat client was closed before the answer came'),
      );
      pipeline.close();
      receipts.close();
      typingSender.reset();
      partnerTyping.clear();
      setState('closed');
    },
    send(conversationId, receiverId, text, sendOptions) {
      const clientMessageId = sendOptions?.clientMessageId ?? randomId();
      if (!closed && !outbox.has(clientMessageId))
        statuses.sending(conversationId, clientMessageId);
      return outbox.add({ clientMessageId, conversationId, receiverId, text });
    },
    pending: (conversationId) => outbox.pending(conversationId),
    statusOf: (clientMessageId) => statuses.statusOf(clientMessageId),
    open(conversationId) {
      if (closed) return Promise.reject(new ChatClientError('CLOSED', 'The chat client is closed'));
      let promise = opening.get(conversationId);
      if (!promise) {
        promise = open(conversationId).catch((error: unknown) => {
          openConversations.delete(conversationId);
          throw error;
        });
        opening.set(conversationId, promise);
        const forget = () => opening.delete(conversationId);
        promise.then(forget, forget);
      }
      return promise;
    },
    leave(conversationId) {
      if (!openConversations.delete(conversationId)) return;
      calls.leave(conversationId);
      typingSender.set(conversationId, false);
    },
    loadOlder: (conversationId, limit) =>
      pipeline.loadOlder(conversationId, limit ?? options.pageSize ?? 50),
    messages: (conversationId) => pipeline.timeline(conversationId)?.messages() ?? [],
    async markRead(conversationId) {
      await history.markRead(conversationId);
      unread.markedRead(conversationId);
    },
    async conversations(query) {
      const id = await knownUserId();
      if (!id) throw new ChatClientError('TOKEN_UNAVAILABLE', 'The user id is not known yet');
      const page = await history.conversations(id, query);
      unread.setConversations(page.conversations);
      return page;
    },
    unread: () => unread.snapshot(),
    presenceOf: (presenceUserId) => presence.get(presenceUserId),
    setTyping: (conversationId, isTyping) => typingSender.set(conversationId, isTyping),
    typingIn: (conversationId) => partnerTyping.typingIn(conversationId),
  };

  if (options.autoConnect ?? true) connection.open();
  return client;
}
