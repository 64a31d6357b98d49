import { Writable } from 'node:stream';
import { coalesceWrites } from '@chat/net';

/** A stream that records how its writes reach the "socket": one entry per write or writev. */
function recordingStream() {
  const flushes: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      flushes.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      flushes.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      callback();
    },
  });
  return { stream, flushes };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('when a turn writes several frames, then they reach the stream in one writev, in order', async () => {
    const { stream, flushes } = recordingStream();
    coalesceWrites(stream);
    stream.write('a');
    stream.write('b');
    await Promise.resolve();
    stream.write('c');
    expect(flushes).toEqual([]);
    await nextTurn();
    expect(flushes).toEqual([['a', 'b', 'c']]);
  });

  it('when writes come in separate turns, then each turn is flushed on its own', async () => {
    const { stream, flushes } = recordingStream();
    coalesceWrites(stream);
    stream.write('a');
    await nextTurn();
    stream.write('b');
    await nextTurn();
    expect(flushes).toEqual([['a'], ['b']]);
  });

  it('when applied twice, then writes are still flushed once per turn', async () => {
    const { stream, flushes } = recordingStream();
    coalesceWrites(stream);
    coalesceWrites(stream);
    stream.write('a');
    stream.write('b');
    await nextTurn();
    expect(flushes).toEqual([['a', 'b']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('when a turn writes past the high-water mark, then what is held is sent at once and writing may go on', async () => {
    const { stream, flushes } = recordingStream();
    coalesceWrites(stream);
    const big = 'x'.repeat(stream.writableHighWaterMark + 1);
    expect(stream.write('a')).toBe(true);
    expect(stream.write(big)).toBe(true);
    expect(flushes).toEqual([['a', big]]);
    stream.write('b');
    await nextTurn();
    expect(flushes).toEqual([['a', big], ['b']]);
    expect(stream.writableCorked).toBe(0);
  });
});
