import { Writable } from 'node:stream';
import { chooseLogFormat, createLogger } from '@chat/observability';

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

  it.each([
    ['development', true, 'pretty'],
    ['development', false, 'json'],
    ['production', true, 'json'],
    ['production', false, 'json'],
    ['test', true, 'json'],
    [undefined, true, 'json'],
  ] as const)(
    'when NODE_ENV is %s and stdout is a terminal: %s, then the logs are %s',
    (nodeEnv, stdoutIsTty, format) => {
      expect(chooseLogFormat({ nodeEnv, stdoutIsTty })).toBe(format);
    },
  );

  it('when a development logger writes anywhere but a terminal, then its lines stay JSON', () => {
    const { lines, stream } = capture();
    createLogger({ service: 'test', nodeEnv: 'development' }, stream).info('plain');
    expect(lines[0]).toMatchObject({ service: 'test', msg: 'plain' });
  });

  it('when the pretty format is chosen, then a line reads as text, without colours, still redacted', () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ service: 'test', format: 'pretty' }, stream);
    logger.child({ module: 'edge:x' }).info({ payload: { message: 'private words' } }, 'hello');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: test edge:x: hello\n/);
    expect(text).toContain('"message": "[redacted]"');
    expect(text).not.toContain('private');
    expect(text).not.toContain('\u001b['); // no colour codes
  });
});
