import { createPartnerTyping, createTypingSender } from '../src/typing';
import type { TypingNotice } from '../src/types';

describe('createTypingSender', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const sender = () => {
    const sent: [string, boolean][] = [];
    const typing = createTypingSender((conversationId, isTyping) =>
      sent.push([conversationId, isTyping]),
    );
    return { typing, sent };
  };

  it('when the user keeps typing, then true goes out at once and again at most every 3 s', () => {
    const { typing, sent } = sender();
    for (let i = 0; i < 14; i++) {
      typing.set('a_b', true);
      jest.advanceTimersByTime(500);
    }
    // Keystrokes at 0, 0.5, …, 6.5 s: true at 0, 3 and 6 s.
    expect(sent).toEqual([
      ['a_b', true],
      ['a_b', true],
      ['a_b', true],
    ]);
  });

  it('when the user stops typing, then false goes out by itself 5 s after the last keystroke', () => {
    const { typing, sent } = sender();
    typing.set('a_b', true);
    jest.advanceTimersByTime(2000);
    typing.set('a_b', true);
    jest.advanceTimersByTime(4999);
    expect(sent).toEqual([['a_b', true]]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([
      ['a_b', true],
      ['a_b', false],
    ]);
  });

  it('when told false, then false goes out at once, once, and the next keystroke sends true again', () => {
    const { typing, sent } = sender();
    typing.set('a_b', true);
    typing.set('a_b', false);
    typing.set('a_b', false);
    typing.set('a_b', true);
    jest.advanceTimersByTime(10_000);
    expect(sent).toEqual([
      ['a_b', true],
      ['a_b', false],
      ['a_b', true],
      ['a_b', false],
    ]);
  });

  it('when reset (the connection is gone), then nothing more goes out for what was typed', () => {
    const { typing, sent } = sender();
    typing.set('a_b', true);
    typing.reset();
    jest.advanceTimersByTime(10_000);
    expect(sent).toEqual([['a_b', true]]);
  });
});

describe('createPartnerTyping', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const partner = () => {
    const changes: TypingNotice[] = [];
    const typing = createPartnerTyping((notice) => changes.push(notice));
    return { typing, changes };
  };
  const notice = (isTyping: boolean): TypingNotice => ({
    conversationId: 'a_b',
    userId: 'a',
    isTyping,
  });

  it('when a partner’s true is not renewed, then it shows for 6 s and then stops by itself', () => {
    const { typing, changes } = partner();
    typing.receive(notice(true));
    expect(typing.typingIn('a_b')).toEqual(['a']);
    jest.advanceTimersByTime(5999);
    expect(typing.typingIn('a_b')).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(typing.typingIn('a_b')).toEqual([]);
    expect(changes.map((change) => change.isTyping)).toEqual([true, false]);
  });

  it('when true is renewed, then it keeps showing without a second change and ends 6 s after the last', () => {
    const { typing, changes } = partner();
    typing.receive(notice(true));
    jest.advanceTimersByTime(3000);
    typing.receive(notice(true));
    jest.advanceTimersByTime(5000);
    expect(typing.typingIn('a_b')).toEqual(['a']);
    jest.advanceTimersByTime(1000);
    expect(changes.map((change) => change.isTyping)).toEqual([true, false]);
  });

  it('when false comes, or the partner’s message, or the client loses its connection, then it stops at once', () => {
    const { typing, changes } = partner();
    typing.receive(notice(true));
    typing.receive(notice(false));
    typing.receive(notice(true));
    typing.stop('a_b', 'a');
    typing.receive(notice(true));
    typing.clear();
    typing.receive(notice(false));
    expect(changes.map((change) => change.isTyping)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
