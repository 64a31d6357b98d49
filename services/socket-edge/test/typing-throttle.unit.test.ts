import { createTypingThrottle } from '../src/domain/typing-throttle';

describe('typing throttle', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('when typing true repeats within 2 s, then the repeat is dropped; at 2 s it passes again', () => {
    const time = clock();
    const throttle = createTypingThrottle({ now: time.now });

    expect(throttle.admit('c', true)).toBe(true);
    time.advance(1999);
    expect(throttle.admit('c', true)).toBe(false);
    time.advance(1);
    expect(throttle.admit('c', true)).toBe(true);
  });

  it('when the state changes, then it always passes, and a repeated false passes too', () => {
    const time = clock();
    const throttle = createTypingThrottle({ now: time.now });

    expect([
      throttle.admit('c', true),
      throttle.admit('c', false),
      throttle.admit('c', true),
      throttle.admit('c', false),
      throttle.admit('c', false),
    ]).toEqual([true, true, true, true, true]);
  });

  it('when two conversations are typed in, then each has its own window', () => {
    const throttle = createTypingThrottle({ now: clock().now });

    expect(throttle.admit('one', true)).toBe(true);
    expect(throttle.admit('two', true)).toBe(true);
    expect(throttle.admit('one', true)).toBe(false);
  });

  it('when an admitted event is forgotten (it was refused after all), then the next true passes', () => {
    const throttle = createTypingThrottle({ now: clock().now });

    expect(throttle.admit('c', true)).toBe(true);
    throttle.forget('c');

    expect(throttle.admit('c', true)).toBe(true);
  });

  it('when more conversations are typed in than it remembers, then the least recent is forgotten first', () => {
    const throttle = createTypingThrottle({ now: clock().now, maxConversations: 2 });
    throttle.admit('a', true);
    throttle.admit('b', true);

    throttle.admit('c', true);

    expect(throttle.admit('b', true)).toBe(false);
    expect(throttle.admit('a', true)).toBe(true);
  });
});
