import { createUnreadTracker, type UnreadCounts } from '../src/unread-counts';
import { message } from './support/messages';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

function tracker() {
  const changes: UnreadCounts[] = [];
  return { unread: createUnreadTracker((counts) => changes.push(counts)), changes };
}

describe('createUnreadTracker', () => {
  it('when messages arrive after the server’s count, then they add to the total and their conversation; those the count covered do not', () => {
    const { unread } = tracker();
    unread.setTotal(2, at(10));
    // Queued messages stored before the count, and one arriving twice.
    unread.arrived(message(9));
    unread.arrived(message(10));
    unread.arrived(message(11));
    unread.arrived(message(12, { read: true }));
    expect(unread.snapshot()).toEqual({ total: 3, byConversation: { a_b: 1 } });
  });

  it('when the conversations list is loaded, then each conversation’s count covers its messages up to lastMessageTime', () => {
    const { unread } = tracker();
    unread.setTotal(5, at(20));
    unread.setConversations([{ id: 'a_b', unreadCount: 4, lastMessageTime: at(30) }]);
    unread.arrived(message(30));
    unread.arrived(message(31));
    expect(unread.snapshot()).toEqual({ total: 7, byConversation: { a_b: 5 } });
  });

  it('when a conversation is marked read, then its count goes to 0 and the total loses it', () => {
    const { unread, changes } = tracker();
    unread.setTotal(6, at(0));
    unread.setConversations([
      { id: 'a_b', unreadCount: 4, lastMessageTime: at(0) },
      { id: 'a_c', unreadCount: 2, lastMessageTime: null },
    ]);
    unread.markedRead('a_b');
    expect(unread.snapshot()).toEqual({ total: 2, byConversation: { a_b: 0, a_c: 2 } });
    expect(changes.at(-1)).toEqual(unread.snapshot());
  });

  it('when nothing was counted by the server yet, then arrivals change nothing', () => {
    const { unread, changes } = tracker();
    unread.arrived(message(1));
    expect(unread.snapshot()).toEqual({ total: 0, byConversation: {} });
    expect(changes).toEqual([]);
  });
});
