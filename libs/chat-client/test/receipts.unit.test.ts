import { createDeliveryReceipts, type ReceiptOutcome } from '../src/receipts';

function receiptsWith(outcomes: ReceiptOutcome[] = []) {
  const sent: [string, number][] = [];
  let connected = true;
  const receipts = createDeliveryReceipts({
    send: (conversationId, upToSeq) => {
      sent.push([conversationId, upToSeq]);
      return Promise.resolve(outcomes.shift() ?? 'ok');
    },
    canSend: () => connected,
  });
  return {
    receipts,
    sent,
    setConnected: (value: boolean) => {
      connected = value;
    },
  };
}

describe('createDeliveryReceipts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('when a burst of messages arrives, then the first receipt goes at once and the rest are coalesced into one per 250 ms with the highest seq', async () => {
    const { receipts, sent } = receiptsWith();
    receipts.note('a_b', 1);
    await jest.advanceTimersByTimeAsync(0);
    for (let seq = 2; seq <= 100; seq++) receipts.note('a_b', seq);
    expect(sent).toEqual([['a_b', 1]]);
    await jest.advanceTimersByTimeAsync(250);
    expect(sent).toEqual([
      ['a_b', 1],
      ['a_b', 100],
    ]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toHaveLength(2);
  });

  it('when messages arrive in two conversations, then each has its own receipts', async () => {
    const { receipts, sent } = receiptsWith();
    receipts.note('a_b', 3);
    receipts.note('a_c', 7);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([
      ['a_b', 3],
      ['a_c', 7],
    ]);
  });

  it('when a seq at or below what was reported is noted, then nothing more is sent', async () => {
    const { receipts, sent } = receiptsWith();
    receipts.note('a_b', 5);
    await jest.advanceTimersByTimeAsync(300);
    receipts.note('a_b', 4);
    receipts.note('a_b', 5);
    await jest.advanceTimersByTimeAsync(300);
    expect(sent).toEqual([['a_b', 5]]);
  });

  it('when offline, then receipts wait and the highest goes out on resume', async () => {
    const { receipts, sent, setConnected } = receiptsWith();
    setConnected(false);
    receipts.note('a_b', 1);
    receipts.note('a_b', 9);
    await jest.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([]);
    setConnected(true);
    receipts.resume();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([['a_b', 9]]);
  });

  it('when a receipt is refused retryably, then it goes again 5 s later; when dropped, then it is not repeated', async () => {
    const { receipts, sent } = receiptsWith(['retry', 'ok', 'drop']);
    receipts.note('a_b', 2);
    await jest.advanceTimersByTimeAsync(4999);
    expect(sent).toEqual([['a_b', 2]]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([
      ['a_b', 2],
      ['a_b', 2],
    ]);
    receipts.note('a_b', 3);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual([
      ['a_b', 2],
      ['a_b', 2],
      ['a_b', 3],
    ]);
  });

  it('when closed, then no timer is left', async () => {
    const { receipts } = receiptsWith();
    receipts.note('a_b', 1);
    await jest.advanceTimersByTimeAsync(0);
    receipts.note('a_b', 2);
    receipts.close();
    expect(jest.getTimerCount()).toBe(0);
  });
});
