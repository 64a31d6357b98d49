import { formatTime, h } from './dom.js';

/** What each status of an own message shows, and says to screen readers. */
const TICKS = {
  sending: { mark: '…', label: 'Sending' },
  sent: { mark: '✓', label: 'Sent' },
  delivered: { mark: '✓✓', label: 'Delivered' },
  read: { mark: '✓✓', label: 'Read' },
  failed: { mark: '!', label: 'Not sent' },
};

/** How close to the bottom (px) still counts as "at the bottom", where new messages scroll in. */
const BOTTOM_SLACK = 40;

/**
 * The open conversation's messages, oldest at the top: stored ones in seq order (each once, by
 * id), the user's sends not stored yet below them, ticks on the user's own messages. New
 * messages scroll into view when the reader is at the bottom; older pages go in above without
 * moving what the reader sees.
 */
export function createMessageView({ scroller, list, userId }) {
  /** message id → its row. */
  const rows = new Map();
  /** clientMessageId → the row of an own message (stored or still sending). */
  const own = new Map();

  const atBottom = () =>
    scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < BOTTOM_SLACK;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  const ticks = (status) => {
    const tick = TICKS[status] ?? TICKS.sent;
    return h('span', { class: 'ticks', role: 'img', 'aria-label': tick.label }, tick.mark);
  };

  const setStatus = (row, status, error) => {
    row.dataset.status = status;
    const old = row.querySelector('.ticks');
    const fresh = ticks(status);
    if (status === 'failed' && error) fresh.title = error;
    if (old) old.replaceWith(fresh);
  };

  const messageRow = (message, status) => {
    const mine = message.senderId === userId;
    const row = h(
      'li',
      {
        class: mine ? 'message own' : 'message',
        dataset: {
          id: message.id,
          seq: String(message.seq),
          clientMessageId: message.clientMessageId,
          ...(mine && { status }),
        },
      },
      h('p', { class: 'text' }, message.message),
      h(
        'p',
        { class: 'meta' },
        h('time', { datetime: message.timestamp }, formatTime(message.timestamp)),
        mine ? ticks(status) : undefined,
      ),
    );
    return row;
  };

  /** The first stored row with a greater seq, else the first row still sending. */
  const rowAfter = (seq) => {
    for (const row of list.children) {
      if (row.dataset.seq === undefined || Number(row.dataset.seq) > seq) return row;
    }
    return null;
  };

  return {
    /** Empties the view (another conversation opens). */
    clear() {
      rows.clear();
      own.clear();
      list.replaceChildren();
    },
    /**
     * Puts a stored message in its place (a repeat is ignored) and replaces the row it had
     * while sending. `status` is the own message's status (ignored for the partner's).
     */
    add(message, status = 'sent') {
      if (rows.has(message.id)) return;
      const follow = atBottom();
      const newest = [...rows.values()].every((row) => Number(row.dataset.seq) < message.seq);
      const row = messageRow(message, status);
      own.get(message.clientMessageId)?.remove();
      if (message.senderId === userId) own.set(message.clientMessageId, row);
      rows.set(message.id, row);
      list.insertBefore(row, rowAfter(message.seq));
      // An older page must not pull the reader down; a new message follows the reader at the bottom.
      if (newest && (follow || message.senderId === userId)) toBottom();
    },
    /** A send of this user not stored yet, shown at the bottom as "sending". */
    addSending({ clientMessageId, text, at }) {
      if (own.has(clientMessageId)) return;
      const row = h(
        'li',
        { class: 'message own', dataset: { clientMessageId, status: 'sending' } },
        h('p', { class: 'text' }, text),
        h('p', { class: 'meta' }, h('time', { datetime: at }, formatTime(at)), ticks('sending')),
      );
      own.set(clientMessageId, row);
      list.append(row);
      toBottom();
    },
    /** An own message's status changed (sent, delivered, read, failed). */
    setStatus({ clientMessageId, status, error }) {
      const row = own.get(clientMessageId);
      if (row) setStatus(row, status, error?.message);
    },
    /**
     * Runs `load` (which adds older messages above) and keeps the messages the reader sees
     * where they are on the screen.
     */
    async keepPosition(load) {
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      const result = await load();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
      return result;
    },
    /** The smallest seq shown, or undefined when nothing is. */
    oldestSeq() {
      let oldest;
      for (const row of rows.values()) {
        const seq = Number(row.dataset.seq);
        if (oldest === undefined || seq < oldest) oldest = seq;
      }
      return oldest;
    },
    toBottom,
  };
}
