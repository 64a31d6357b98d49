import { redactQueryValues, withRedactedErrors } from '../src/stores/db-errors';

describe('database error redaction', () => {
  it('when an error carries row values or bindings, then they are replaced and the rest kept', () => {
    const error = Object.assign(new Error('insert into "messages" … - violates check'), {
      code: '23514',
      constraint: 'messages_body_check',
      detail: 'Failing row contains (…, top secret, …)',
      bindings: ['top secret'],
    });

    redactQueryValues(error);

    expect(JSON.stringify(error)).not.toContain('top secret');
    expect(error).toMatchObject({
      code: '23514',
      constraint: 'messages_body_check',
      detail: '[redacted]',
      bindings: '[redacted]',
    });
  });

  it('when a wrapped method rejects, then its error is redacted; when it resolves, then the value passes', async () => {
    const store = withRedactedErrors({
      fail: async () => {
        throw Object.assign(new Error('boom'), { detail: 'Failing row contains (secret)' });
      },
      succeed: async (value: number) => value * 2,
    });

    await expect(store.fail()).rejects.toMatchObject({ message: 'boom', detail: '[redacted]' });
    await expect(store.succeed(21)).resolves.toBe(42);
  });
});
