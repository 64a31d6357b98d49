import { TypedEmitter } from '../src/typed-emitter';

interface Events {
  ping: number;
  pong: string;
}

describe('TypedEmitter', () => {
  it('when an event is emitted, then its listeners get the payload and the function on() returned removes one', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: string[] = [];
    const off = emitter.on('ping', (n) => seen.push(`a${n}`));
    emitter.on('ping', (n) => seen.push(`b${n}`));
    emitter.on('pong', (text) => seen.push(text));
    emitter.emit('ping', 1);
    off();
    emitter.emit('ping', 2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(emitter.listenerCount('ping')).toBe(1);
  });

  it('when a once listener is called, then it is removed', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    emitter.once('ping', (n) => seen.push(n));
    emitter.emit('ping', 1);
    emitter.emit('ping', 2);
    expect(seen).toEqual([1]);
  });

  it('when a listener throws, then the others still run and the error is thrown again on a fresh task', () => {
    jest.useFakeTimers();
    try {
      const emitter = new TypedEmitter<Events>();
      const seen: number[] = [];
      emitter.on('ping', () => {
        throw new Error('listener bug');
      });
      emitter.on('ping', (n) => seen.push(n));
      expect(() => emitter.emit('ping', 1)).not.toThrow();
      expect(seen).toEqual([1]);
      expect(() => jest.runAllTimers()).toThrow('listener bug');
    } finally {
      jest.useRealTimers();
    }
  });
});
