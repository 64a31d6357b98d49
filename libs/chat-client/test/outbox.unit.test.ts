import { ChatClientError } from '../src/errors';
import { createOutbox, type SendRequest, type TransmitResult } from '../src/outbox';
import { message } from './support/messages';

/** A transmit whose tries the test answers one by one. */
function fakeTransport() {
  const tries: { request: SendRequest; answer(result: TransmitResult): void }[] = [];
  let connected = true;
  return {
    tries,
    transmit: (request: SendRequest) =>
      new Promise<TransmitResult>((answer) => tries.push({ request, answer })),
    canSend: () => connected,
    set connected(value: boolean) {
      connected = value;
    },
    /** The clientMessageIds tried so far, in order. */
    ids: () => tries.map((entry) => entry.request.clientMessageId),
  };
}

const request = (clientMessageId: string, conversationId = 'a_b'): SendRequest => ({
  clientMessageId,
  conversationId,
  receiverId: 'b',
  text: `text of ${clientMessageId}`,
});
const stored = (clientMessageId: string, seq: number, conversationId = 'a_b') =>
  message(seq, { clientMessageId, conversationId, id: `stored-${clientMessageId}` });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createOutbox', () => {
  afterEach(() => jest.useRealTimers());

  it('when several sends of a conversation are queued, then they go one at a time, each after the one before is answered', async () => {
    const transport = fakeTransport();
    const outbox = createOutbox(transport);
    const first = outbox.add(request('c1'));
    const second = outbox.add(request('c2'));
    expect(transport.ids()).toEqual(['c1']);

    transport.tries[0]!.answer({ kind: 'stored', message: stored('c1', 1) });
    await expect(first).resolves.toMatchObject({ seq: 1 });
    expect(transport.ids()).toEqual(['c1', 'c2']);
    transport.tries[1]!.answer({ kind: 'stored', message: stored('c2', 2) });
    await expect(second).resolves.toMatchObject({ seq: 2 });
  });

  it('when sends of different conversations are queued, then they go side by side up to maxInFlight', () => {
    const transport = fakeTransport();
    const outbox = createOutbox({ ...transport, maxInFlight: 2 });
    for (const conversation of ['a_b', 'a_c', 'a_d'])
      void outbox.add(request(conversation, conversation));
    expect(transport.ids()).toEqual(['a_b', 'a_c']);
  });

  it('when a send is refused with a retryable code, then it waits a backoff and goes again with the same clientMessageId, before the next one', async () => {
    jest.useFakeTimers();
    const transport = fakeTransport();
    const retries: string[] = [];
    const outbox = createOutbox({
      ...transport,
      backoff: { baseMs: 100, maxMs: 100 },
      onRetry: (_request, code) => retries.push(code),
    });
    const first = outbox.add(request('c1'));
    void outbox.add(request('c2'));

    transport.tries[0]!.answer({ kind: 'refused', code: 'OVERLOADED', message: 'busy' });
    await jest.advanceTimersByTimeAsync(49);
    expect(transport.ids()).toEqual(['c1']);
    await jest.advanceTimersByTimeAsync(51);
    expect(transport.ids()).toEqual(['c1', 'c1']);
    expect(retries).toEqual(['OVERLOADED']);

    transport.tries[1]!.answer({ kind: 'stored', message: stored('c1', 1) });
    await expect(first).resolves.toMatchObject({ clientMessageId: 'c1' });
    expect(transport.ids()).toEqual(['c1', 'c1', 'c2']);
  });

  it.each([
    'TIMEOUT',
    'UNAVAILABLE',
    'RATE_LIMITED',
    'TOO_MANY_PENDING_SENDS',
    'BOOKING_CHECK_UNAVAILABLE',
  ])('when a send is refused with %s, then it is tried again', async (code) => {
    jest.useFakeTimers();
    const transport = fakeTransport();
    const outbox = createOutbox({ ...transport, backoff: { baseMs: 10, maxMs: 10 } });
    void outbox.add(request('c1'));
    transport.tries[0]!.answer({ kind: 'refused', code, message: code });
    await jest.advanceTimersByTimeAsync(10);
    expect(transport.ids()).toEqual(['c1', 'c1']);
  });

  it.each(['BOOKING_REQUIRED', 'VALIDATION_FAILED', 'CLIENT_MESSAGE_ID_REUSED', 'SOMETHING_NEW'])(
    'when a send is refused with %s, then it rejects with that code, is not tried again, and the next one goes',
    async (code) => {
      const transport = fakeTransport();
      const failed: string[] = [];
      const outbox = createOutbox({
        ...transport,
        onFailed: (_request, error) => failed.push(error.code),
      });
      const first = outbox.add(request('c1'));
      void outbox.add(request('c2'));
      transport.tries[0]!.answer({ kind: 'refused', code, message: 'no' });
      await expect(first).rejects.toMatchObject({ code, message: 'no' });
      expect(failed).toEqual([code]);
      expect(transport.ids()).toEqual(['c1', 'c2']);
    },
  );

  it('when the connection drops with a send in flight, then it waits and goes again with the same clientMessageId on resume', async () => {
    const transport = fakeTransport();
    const outbox = createOutbox(transport);
    const sent = outbox.add(request('c1'));
    transport.connected = false;
    outbox.interrupted();
    transport.tries[0]!.answer({ kind: 'no-answer' });
    void outbox.add(request('c2'));
    await flush();
    expect(transport.ids()).toEqual(['c1']);

    transport.connected = true;
    outbox.resume();
    expect(transport.ids()).toEqual(['c1', 'c1']);
    transport.tries[1]!.answer({ kind: 'stored', message: stored('c1', 1) });
    await expect(sent).resolves.toMatchObject({ seq: 1 });
  });

  it('when the answer to an earlier try arrives after a newer try went out, then a stored answer settles the send once and a refusal of the old try is ignored', async () => {
    const transport = fakeTransport();
    const storedOnce: string[] = [];
    const outbox = createOutbox({
      ...transport,
      onStored: (entry) => storedOnce.push(entry.clientMessageId),
    });
    const first = outbox.add(request('c1'));
    outbox.interrupted();
    outbox.resume();
    // The old try's refusal must not fail or delay the new one.
    transport.tries[0]!.answer({ kind: 'refused', code: 'TIMEOUT', message: 'late' });
    await flush();
    expect(transport.ids()).toEqual(['c1', 'c1']);
    void outbox.add(request('c2'));
    // The old try turns out stored after all: the send is settled, the new try's answer is moot.
    transport.tries[0]!.answer({ kind: 'stored', message: stored('c1', 1) });
    transport.tries[1]!.answer({ kind: 'stored', message: stored('c1', 1) });
    await expect(first).resolves.toMatchObject({ seq: 1 });
    await flush();
    expect(storedOnce).toEqual(['c1']);
    expect(transport.ids()).toEqual(['c1', 'c1', 'c2']);
  });

  it('when message-sent answers a send before its acknowledgement, then the send resolves and the late acknowledgement changes nothing', async () => {
    const transport = fakeTransport();
    const outbox = createOutbox(transport);
    const sent = outbox.add(request('c1'));
    expect(outbox.answer(stored('c1', 1))).toBe(true);
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    transport.tries[0]!.answer({ kind: 'stored', message: stored('c1', 1) });
    expect(outbox.answer(stored('c1', 1))).toBe(false);
    expect(outbox.pending()).toEqual([]);
  });

  it('when a clientMessageId still waiting is sent again, then the second send is refused at once', async () => {
    const outbox = createOutbox(fakeTransport());
    void outbox.add(request('c1'));
    await expect(outbox.add(request('c1'))).rejects.toMatchObject({
      code: 'CLIENT_MESSAGE_ID_REUSED',
    });
  });

  it('when the outbox is closed, then waiting sends reject with the given error and new ones are refused', async () => {
    const transport = fakeTransport();
    const outbox = createOutbox(transport);
    const waiting = outbox.add(request('c1'));
    const queued = outbox.add(request('c2'));
    expect(outbox.pending().map((entry) => [entry.clientMessageId, entry.attempts])).toEqual([
      ['c1', 1],
      ['c2', 0],
    ]);
    outbox.close(new ChatClientError('CLOSED', 'closed'));
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(queued).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(outbox.add(request('c3'))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
