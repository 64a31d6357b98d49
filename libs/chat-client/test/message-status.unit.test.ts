import { ChatClientError } from '../src/errors';
import { createStatusBook, type MessageStatusUpdate } from '../src/message-status';
import { message } from './support/messages';

function book() {
  const updates: MessageStatusUpdate[] = [];
  const statuses = createStatusBook((update) => updates.push(update));
  const of = (clientMessageId: string) =>
    updates
      .filter((update) => update.clientMessageId === clientMessageId)
      .map((update) => update.status);
  return { statuses, updates, of };
}

describe('createStatusBook', () => {
  it('when an own message is sent, stored, delivered and read, then its status goes through each once, in order', () => {
    const { statuses, of } = book();
    statuses.sending('a_b', 'c-1');
    statuses.stored(message(1));
    statuses.delivered('a_b', 1);
    statuses.read('a_b', { seq: 1 });
    expect(of('c-1')).toEqual(['sending', 'sent', 'delivered', 'read']);
    expect(statuses.statusOf('c-1')).toBe('read');
  });

  it('when a receipt comes before the message’s own answer, then the answer lands on the receipt’s status at once', () => {
    const { statuses, of } = book();
    statuses.sending('a_b', 'c-2');
    statuses.delivered('a_b', 2);
    statuses.stored(message(2));
    expect(of('c-2')).toEqual(['sending', 'delivered']);
  });

  it('when receipts or answers come late or twice, then a status never goes back', () => {
    const { statuses, of } = book();
    statuses.sending('a_b', 'c-1');
    statuses.stored(message(1));
    statuses.read('a_b', { seq: 1 });
    statuses.delivered('a_b', 1);
    statuses.stored(message(1));
    statuses.read('a_b', { seq: 1 });
    expect(of('c-1')).toEqual(['sending', 'sent', 'read']);
  });

  it('when a watermark moves, then only messages at or below it change', () => {
    const { statuses } = book();
    for (const seq of [1, 2, 3]) statuses.stored(message(seq));
    statuses.delivered('a_b', 2);
    expect(['c-1', 'c-2', 'c-3'].map((id) => statuses.statusOf(id))).toEqual([
      'delivered',
      'delivered',
      'sent',
    ]);
    statuses.read('a_b', { seq: 1 });
    expect(['c-1', 'c-2', 'c-3'].map((id) => statuses.statusOf(id))).toEqual([
      'read',
      'delivered',
      'sent',
    ]);
  });

  it('when a read receipt names a message the client does not hold, then own messages stored by readAt count as read', () => {
    const { statuses } = book();
    statuses.stored(message(1));
    statuses.stored(message(2));
    statuses.read('a_b', { readAt: message(1).timestamp });
    expect([statuses.statusOf('c-1'), statuses.statusOf('c-2')]).toEqual(['read', 'sent']);
  });

  it('when history says an own message was delivered or read, then its status starts there', () => {
    const { statuses } = book();
    statuses.stored(message(1, { read: true }));
    statuses.stored(message(2), true);
    statuses.stored(message(3), false);
    expect(['c-1', 'c-2', 'c-3'].map((id) => statuses.statusOf(id))).toEqual([
      'read',
      'delivered',
      'sent',
    ]);
  });

  it('when a send fails for good, then it is failed with its error, and nothing moves it after', () => {
    const { statuses, updates } = book();
    const error = new ChatClientError('BOOKING_REQUIRED', 'no booking');
    statuses.sending('a_b', 'c-1');
    statuses.failed('a_b', 'c-1', error);
    statuses.stored(message(1));
    expect(updates.map((update) => update.status)).toEqual(['sending', 'failed']);
    expect(updates[1]!.error).toBe(error);
  });

  it('when the server says a send is delayed, then the update says so and the status stays sending', () => {
    const { statuses, updates } = book();
    statuses.sending('a_b', 'c-1');
    statuses.delayed('c-1');
    expect(updates.at(-1)).toMatchObject({ status: 'sending', delayed: true });
  });
});
