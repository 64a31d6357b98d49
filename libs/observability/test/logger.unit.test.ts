import { Writable } from 'node:stream';
import { createLogger } from '@chat/observability';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('when a log line carries message text or a token, then they are redacted and the rest stays', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'test' }, stream).child({ module: 'x' });
    logger.info(
      {
        token: 'secret-token',
        headers: { authorization: 'Bearer secret' },
        payload: { message: 'private words', conversationId: 'a_b' },
        command: { body: 'private too' },
      },
      'something happened',
    );
    const line = JSON.stringify(lines[0]);
    expect(line).not.toMatch(/secret|private/);
    expect(lines[0]).toMatchObject({ service: 'test', module: 'x', msg: 'something happened' });
    expect(lines[0]).toMatchObject({ payload: { conversationId: 'a_b', message: '[redacted]' } });
  });
});
