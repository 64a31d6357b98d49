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

  it('when an error is logged, then its message, stack and cause stay readable', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'test' }, stream);
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    logger.error({ err: new Error('could not store the message', { cause }) }, 'send failed');
    const err = lines[0]?.err as { message: string; stack: string };
    expect(err.message).toContain('could not store the message');
    expect(err.message).toContain('ECONNREFUSED 127.0.0.1:5432');
    expect(err.stack).toContain('could not store the message');
  });

  it('when message text sits where the services carry it, then it is redacted everywhere', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'test' }, stream);
    logger.warn(
      {
        err: new Error('handler failed'),
        message: { id: 'm1', message: 'private 1' },
        body: 'private 2',
        record: { id: 'm2', body: 'private 3' },
        command: { type: 'chat.send-message.v1', message: 'private 4' },
        data: { message: 'private 5' },
        delivery: { event: 'new-message', payload: { id: 'm3', message: 'private 6' } },
        messages: [{ id: 'm4', message: 'private 7', body: 'private 8' }],
        queuedMessages: [{ id: 'm5', message: 'private 9' }],
        auth: { token: 'secret-1' },
        req: { headers: { authorization: 'Bearer secret-2', cookie: 'sid=secret-3' } },
        authorization: 'Bearer secret-4',
      },
      'failed',
    );
    expect(JSON.stringify(lines[0])).not.toMatch(/private|secret/);
    expect(lines[0]).toMatchObject({
      err: { message: 'handler failed' },
      delivery: { event: 'new-message', payload: { id: 'm3', message: '[redacted]' } },
      messages: [{ id: 'm4', message: '[redacted]' }],
    });
  });
});
