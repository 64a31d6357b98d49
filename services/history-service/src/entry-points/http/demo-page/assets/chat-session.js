import { createComposer } from './composer.js';
import { createConversationList, createNames } from './conversation-list.js';
import { fetchDemoToken } from './demo-api.js';
import { byId } from './dom.js';
import { createMessageView } from './message-view.js';
import { showNotice } from './notice.js';

/** Messages per page: small, so scrolling back through history shows its pages. */
const PAGE_SIZE = 20;

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  resyncing: 'Catching up…',
  online: 'Connected',
  offline: 'Offline: what you send waits and goes out once the connection is back',
  closed: 'Signed out',
};

let bundle;

/** libs/chat-client's browser bundle (chat-client.browser.js beside this file), loaded once. */
function loadChatClient() {
  bundle ??= import('./chat-client.browser.js').catch((error) => {
    bundle = undefined;
    throw new Error(
      'The chat client is not built: run npm run build:chat-client (npm start builds it), then reload',
      { cause: error },
    );
  });
  return bundle;
}

/**
 * The signed-in page of `user`: one chat client, the conversation list (the user's
 * conversations and booked partners), the open conversation and the composer. `close()` signs
 * out: the client disconnects and the page's listeners go.
 */
export async function startChatSession({ user, users }) {
  const { createChatClient, conversationIdOf, partnerIn } = await loadChatClient();
  const userId = user.userId;
  const names = createNames(users);
  const listeners = new AbortController();
  const { signal } = listeners;
  const ui = {
    connection: byId('connection'),
    title: byId('conversation-title'),
    partnerPresence: byId('partner-presence'),
    scroller: byId('message-scroller'),
    loadOlder: byId('load-older'),
    historyStart: byId('history-start'),
    typing: byId('typing'),
  };

  const client = createChatClient({
    url: location.origin,
    getToken: () => fetchDemoToken(userId),
    pageSize: PAGE_SIZE,
  });
  const view = createMessageView({ scroller: ui.scroller, list: byId('message-list'), userId });
  const list = createConversationList({
    element: byId('conversation-list'),
    names,
    onSelect: (conversationId) => void open(conversationId),
    presenceOf: (partnerId) => client.presenceOf(partnerId),
  });
  const composer = createComposer({
    form: byId('composer'),
    textarea: byId('draft'),
    signal,
    onSend: (text) => send(text),
    onTyping: (isTyping) => openId && client.setTyping(openId, isTyping),
  });

  let openId;
  let loadingOlder = false;
  /** Per conversation: the partner's newest seq covered by the last mark-read. */
  const markedUpTo = new Map();
  let marking = Promise.resolve();
  let markTimer;

  const statusOf = (message) => client.statusOf(message.clientMessageId) ?? 'sent';

  const showConnection = (state) => {
    ui.connection.dataset.state = state;
    ui.connection.textContent = CONNECTION_TEXT[state] ?? state;
  };

  const showPartnerState = () => {
    if (!openId) return;
    const partnerId = list.partnerOf(openId);
    const presence = client.presenceOf(partnerId);
    ui.partnerPresence.textContent =
      presence === 'unknown' ? '' : presence === 'online' ? '● online' : 'offline';
    ui.typing.textContent = client.typingIn(openId).includes(partnerId)
      ? `${names.of(partnerId)} is typing…`
      : '';
  };

  const showOlderControls = () => {
    const oldest = view.oldestSeq();
    const more = oldest !== undefined && oldest > 1;
    ui.loadOlder.hidden = !more;
    ui.historyStart.hidden = more || oldest === undefined;
  };

  /** Marks the open conversation read when the partner wrote something not marked yet and the page is seen. */
  const markReadSoon = () => {
    clearTimeout(markTimer);
    markTimer = setTimeout(() => {
      marking = marking.then(markReadNow);
    }, 150);
  };
  const markReadNow = async () => {
    const conversationId = openId;
    if (!conversationId || document.visibilityState !== 'visible') return;
    const partnerMessages = client
      .messages(conversationId)
      .filter((message) => message.senderId !== userId);
    const newest = partnerMessages.at(-1)?.seq ?? 0;
    const covered = markedUpTo.get(conversationId) ?? 0;
    if (!partnerMessages.some((message) => message.seq > covered && !message.read)) return;
    try {
      await client.markRead(conversationId);
      markedUpTo.set(conversationId, Math.max(covered, newest));
    } catch (error) {
      showNotice(`Marking read failed: ${error.message}`);
    }
  };

  const refreshConversations = async () => {
    try {
      const page = await client.conversations({ limit: 50 });
      for (const summary of page.conversations) {
        const partnerId = partnerIn(summary.id, userId);
        if (!partnerId) continue;
        list.update(summary.id, partnerId, {
          lastMessage: summary.lastMessage,
          lastMessageTime: summary.lastMessageTime,
        });
      }
      list.setUnread(client.unread().byConversation);
      // Messages came while away into the conversation shown empty.
      if (openId && list.hasMessages(openId)) await sync(openId);
    } catch (error) {
      showNotice(`The conversations could not be loaded: ${error.message}`);
    }
  };

  /** Conversations the client keeps open (joined and in sync): the shown one, once it has messages. */
  const synced = new Set();

  /**
   * Shows a conversation. Its history is loaded and kept in sync (client.open) once it has a
   * message: before the first one the REST API knows no such conversation (a 404), while live
   * messages, typing and receipts reach the user's sockets joined or not.
   */
  async function open(conversationId) {
    if (openId === conversationId) return;
    if (openId) {
      client.setTyping(openId, false);
      if (synced.delete(openId)) client.leave(openId);
    }
    openId = conversationId;
    const partnerId = list.partnerOf(conversationId);
    const role = names.roleOf(partnerId);
    list.select(conversationId);
    view.clear();
    composer.clear();
    composer.show(true);
    ui.title.textContent = role ? `${names.of(partnerId)} (${role})` : names.of(partnerId);
    showPartnerState();
    showOlderControls();
    for (const pending of client.pending(conversationId)) {
      view.addSending({
        clientMessageId: pending.clientMessageId,
        text: pending.text,
        at: new Date().toISOString(),
      });
    }
    if (list.hasMessages(conversationId)) await sync(conversationId);
  }

  /** Loads the shown conversation's newest page and keeps it in sync; then marks it read. */
  async function sync(conversationId) {
    if (synced.has(conversationId)) return;
    synced.add(conversationId);
    try {
      await client.open(conversationId);
    } catch (error) {
      synced.delete(conversationId);
      showNotice(`The conversation could not be opened: ${error.message}`);
      return;
    }
    if (openId !== conversationId) return;
    for (const message of client.messages(conversationId)) view.add(message, statusOf(message));
    showOlderControls();
    view.toBottom();
    markReadSoon();
  }

  const loadOlder = async () => {
    const conversationId = openId;
    if (!conversationId || loadingOlder || ui.loadOlder.hidden) return;
    loadingOlder = true;
    ui.loadOlder.disabled = true;
    try {
      // History comes back quietly (no `message` events): the page is put in here.
      await view.keepPosition(async () => {
        const older = await client.loadOlder(conversationId);
        if (openId !== conversationId) return;
        for (const message of older) view.add(message, statusOf(message));
      });
    } catch (error) {
      showNotice(`Older messages could not be loaded: ${error.message}`);
    } finally {
      loadingOlder = false;
      ui.loadOlder.disabled = false;
    }
    if (openId === conversationId) showOlderControls();
  };

  const send = (text) => {
    const conversationId = openId;
    const receiverId = list.partnerOf(conversationId);
    if (!conversationId || !receiverId) return;
    const clientMessageId = newClientMessageId();
    view.addSending({ clientMessageId, text, at: new Date().toISOString() });
    // A final refusal (BOOKING_REQUIRED, …) comes as the `failed` status too; say why here.
    client
      .send(conversationId, receiverId, text, { clientMessageId })
      .catch((error) => showNotice(`Not sent: ${error.message}`));
  };

  client.on('connection', (state) => {
    showConnection(state);
    showPartnerState();
    // Back online: the counts and last messages may have moved while away.
    if (state === 'online') void refreshConversations();
  });
  client.on('message', (message) => {
    const partnerId = partnerIn(message.conversationId, userId);
    if (!partnerId) return;
    list.noteMessage(message.conversationId, partnerId, message);
    if (message.conversationId !== openId) return;
    view.add(message, statusOf(message));
    void sync(openId);
    showOlderControls();
    if (message.senderId === partnerId) markReadSoon();
  });
  client.on('message-status', (update) => {
    if (update.conversationId === openId) view.setStatus(update);
  });
  client.on('unread', (counts) => list.setUnread(counts.byConversation));
  client.on('presence', ({ userId: partnerId, status }) => {
    list.setPresence(partnerId, status);
    showPartnerState();
  });
  client.on('typing', ({ conversationId }) => {
    const partnerId = partnerIn(conversationId, userId);
    if (!partnerId) return;
    list.update(conversationId, partnerId, {
      typing: client.typingIn(conversationId).includes(partnerId),
    });
    showPartnerState();
  });
  client.on('conversation-closed', ({ conversationId }) => {
    showNotice(
      `The booking with ${names.of(partnerIn(conversationId, userId))} ended: the history stays, new messages are refused.`,
      { sticky: true },
    );
  });
  client.on('error', (error) => showNotice(error.message));

  ui.loadOlder.addEventListener('click', () => void loadOlder(), { signal });
  ui.scroller.addEventListener(
    'scroll',
    () => {
      if (ui.scroller.scrollTop < 8) void loadOlder();
    },
    { signal },
  );
  document.addEventListener(
    'visibilitychange',
    () => document.visibilityState === 'visible' && markReadSoon(),
    { signal },
  );

  for (const partnerId of user.partners) {
    list.update(conversationIdOf(userId, partnerId), partnerId);
  }
  showConnection(client.state);

  return {
    async close() {
      listeners.abort();
      clearTimeout(markTimer);
      await client.close();
      view.clear();
      composer.clear();
      composer.show(false);
      byId('conversation-list').replaceChildren();
      ui.title.textContent = 'Pick a conversation';
      ui.partnerPresence.textContent = '';
      ui.typing.textContent = '';
      ui.loadOlder.hidden = true;
      ui.historyStart.hidden = true;
      ui.connection.textContent = '';
      ui.connection.dataset.state = 'signed-out';
    },
  };
}

/** A clientMessageId: a UUID where the page is a secure context (localhost is), else a random string. */
function newClientMessageId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
