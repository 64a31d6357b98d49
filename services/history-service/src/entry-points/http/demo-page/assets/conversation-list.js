import { h } from './dom.js';

const PRESENCE_LABELS = {
  online: 'online',
  offline: 'offline',
  unknown: 'status not known yet',
};

/** "Tara (tutor)" style names of the demo users, their ids for anyone else. */
export function createNames(users) {
  const byId = new Map(users.map((user) => [user.userId, user]));
  return {
    of: (userId) => byId.get(userId)?.name ?? userId,
    roleOf: (userId) => byId.get(userId)?.role,
  };
}

/**
 * The user's conversations, most recent first (partners never written to last), each a
 * button with the partner's name and presence dot, the unread count, and the last message or
 * "typing…". `onSelect(conversationId)` is called when one is chosen; `presenceOf(userId)` gives
 * a partner's presence when their conversation is first listed (the client may know it from
 * `connected` already), changes come through setPresence.
 */
export function createConversationList({ element, names, onSelect, presenceOf }) {
  /** conversationId → { partnerId, lastMessage, lastMessageTime, unread, presence, typing }. */
  const entries = new Map();
  let selected;

  const order = () =>
    [...entries.entries()].sort(([, a], [, b]) => {
      if (a.lastMessageTime && b.lastMessageTime) {
        return b.lastMessageTime.localeCompare(a.lastMessageTime);
      }
      if (a.lastMessageTime || b.lastMessageTime) return a.lastMessageTime ? -1 : 1;
      return names.of(a.partnerId).localeCompare(names.of(b.partnerId));
    });

  const item = (conversationId, entry) => {
    const name = names.of(entry.partnerId);
    const role = names.roleOf(entry.partnerId);
    const presence = PRESENCE_LABELS[entry.presence] ?? PRESENCE_LABELS.unknown;
    const preview = entry.typing ? 'typing…' : (entry.lastMessage ?? 'No messages yet');
    const button = h(
      'button',
      {
        type: 'button',
        class: 'conversation-item',
        dataset: { conversationId, partnerId: entry.partnerId },
        'aria-current': conversationId === selected ? 'true' : undefined,
      },
      h('span', {
        class: 'dot',
        dataset: { presence: entry.presence },
        role: 'img',
        'aria-label': presence,
        title: presence,
      }),
      h('span', { class: 'name' }, name, role ? h('small', {}, ` ${role}`) : undefined),
      entry.unread > 0
        ? h(
            'span',
            { class: 'badge', 'aria-label': `${entry.unread} unread` },
            String(entry.unread),
          )
        : undefined,
      h('span', { class: entry.typing ? 'preview is-typing' : 'preview' }, preview),
    );
    button.addEventListener('click', () => onSelect(conversationId));
    return h('li', {}, button);
  };

  const render = () => {
    // Re-rendering moves focus off a focused button: put it back on the same conversation.
    const focused =
      document.activeElement?.closest?.('[data-conversation-id]')?.dataset.conversationId;
    element.replaceChildren(...order().map(([id, entry]) => item(id, entry)));
    if (focused) element.querySelector(`[data-conversation-id="${CSS.escape(focused)}"]`)?.focus();
  };

  return {
    /** Adds the conversation with `partnerId` if it is not listed, then changes what `patch` says. */
    update(conversationId, partnerId, patch = {}) {
      const entry = entries.get(conversationId) ?? {
        partnerId,
        lastMessage: null,
        lastMessageTime: null,
        unread: 0,
        presence: presenceOf(partnerId),
        typing: false,
      };
      entries.set(conversationId, { ...entry, ...patch });
      render();
    },
    /** A message of the conversation arrived or was sent: it is the last one unless older. */
    noteMessage(conversationId, partnerId, message) {
      const entry = entries.get(conversationId);
      if (entry?.lastMessageTime && entry.lastMessageTime > message.timestamp) return;
      this.update(conversationId, partnerId, {
        lastMessage: message.message,
        lastMessageTime: message.timestamp,
      });
    },
    setUnread(byConversation) {
      for (const [conversationId, entry] of entries) {
        entry.unread = byConversation[conversationId] ?? entry.unread;
      }
      render();
    },
    setPresence(userId, presence) {
      for (const entry of entries.values()) {
        if (entry.partnerId === userId) entry.presence = presence;
      }
      render();
    },
    select(conversationId) {
      selected = conversationId;
      render();
    },
    partnerOf: (conversationId) => entries.get(conversationId)?.partnerId,
    /** Whether the conversation is known to have messages (history has none before the first). */
    hasMessages: (conversationId) => Boolean(entries.get(conversationId)?.lastMessageTime),
  };
}
