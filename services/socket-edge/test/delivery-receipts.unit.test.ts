import { topologyNames } from '@chat/contracts';
import type {
  DeliveredMark,
  DeliveredOutcome,
  OutboxEntry,
  OutboxRow,
  RunInTransaction,
  Transaction,
} from '@chat/db';
import { createLogger } from '@chat/observability';
import { createDeliveryReceipts } from '../src/domain/delivery-receipts';

/*
 * The coalescing and answering of the receipts writer, over stores in memory; the statement
 * itself is tested against PostgreSQL (conversation-store.int.test.ts), the whole path in
 * delivery-receipts.int.test.ts.
 */
describe('delivery receipts writer', () => {
  const names = topologyNames('unit');
  const logger = createLogger({ service: 'test', level: 'silent' });

  /** Watermarks in memory, by the store's rules; conversation "a_b" has `lastSeq` messages, all from a to b. */
  const harness = (options: {
    lastSeq?: number;
    failWrite?: boolean;
    failPublish?: boolean;
    maxWaiting?: number;
  }) => {
    const lastSeq = options.lastSeq ?? 5;
    const watermarks = new Map<string, number>();
    const writes: DeliveredMark[][] = [];
    const published: string[] = [];
    const settled: { published: string[]; unpublished: string[] }[] = [];
    let release: (() => void) | undefined;
    let held = false;
    let nextId = 1;
    const transaction: RunInTransaction = (work) => work({} as Transaction);
    const receipts = createDeliveryReceipts({
      transaction,
      names,
      logger,
      ...(options.maxWaiting !== undefined && { maxWaiting: options.maxWaiting }),
      conversations: {
        async markDeliveredEach(marks) {
          writes.push([...marks]);
          if (held) await new Promise<void>((resolve) => (release = resolve));
          if (options.failWrite) throw new Error('database away');
          const outcomes = new Map<string, DeliveredOutcome>();
          for (const mark of marks) {
            const key = `${mark.conversationId} ${mark.userId}`;
            const member = mark.conversationId === 'a_b' && ['a', 'b'].includes(mark.userId);
            outcomes.set(key, { member, lastSeq: mark.conversationId === 'a_b' ? lastSeq : 0 });
          }
          for (const [key, outcome] of outcomes) {
            const target = Math.max(
              0,
              ...marks
                .filter((mark) => `${mark.conversationId} ${mark.userId}` === key)
                .map((mark) => mark.upToSeq)
                .filter((seq) => seq <= outcome.lastSeq),
            );
            const old = watermarks.get(key) ?? 0;
            if (!outcome.member || target <= old) continue;
            watermarks.set(key, target);
            if (key.endsWith(' b')) {
              outcome.announced = {
                upToSeq: target,
                upToMessageId: `m${target}`,
                deliveredAt: new Date(0),
              };
            }
          }
          return outcomes;
        },
      },
      outbox: {
        async addClaimed(_trx, entries: readonly OutboxEntry[]) {
          return entries.map((entry): OutboxRow => ({
            ...entry,
            id: String(nextId++),
            createdAt: new Date(0),
          }));
        },
        async settleClaimed(ids, unpublished) {
          settled.push({ published: [...ids], unpublished: [...unpublished] });
        },
      },
      publish: async (_exchange, routingKey) => {
        if (options.failPublish) throw new Error('broker away');
        published.push(routingKey);
      },
    });
    return {
      receipts,
      writes,
      published,
      settled,
      hold: () => (held = true),
      release: () => {
        held = false;
        release?.();
      },
    };
  };

  it('when marks arrive in one turn, then one write takes them all and each gets its answer', async () => {
    const { receipts, writes, published } = harness({});

    const answers = await Promise.all([
      receipts.mark('b', 'a_b', 2),
      receipts.mark('b', 'a_b', 3),
      receipts.mark('a', 'a_b', 1),
    ]);
    await receipts.close();

    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(3);
    // b's highest mark carries the announcement; a received nothing (all messages are a's).
    expect(answers).toEqual(['unchanged', 'announced', 'unchanged']);
    expect(published).toEqual(['user.a']);
  });

  it('when marks arrive while a write runs, then they wait and go together in the next one', async () => {
    const { receipts, writes, hold, release } = harness({});
    hold();
    const first = receipts.mark('b', 'a_b', 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);

    const later = [receipts.mark('b', 'a_b', 2), receipts.mark('b', 'a_b', 4)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(writes).toHaveLength(1);
    release();

    expect(await first).toBe('announced');
    expect(await Promise.all(later)).toEqual(['unchanged', 'announced']);
    expect(writes.map((marks) => marks.map((mark) => mark.upToSeq))).toEqual([[1], [2, 4]]);
  });

  it('when a mark is for a stranger’s conversation or beyond its last message, then it is refused with its code and the valid marks beside it still count', async () => {
    const { receipts } = harness({ lastSeq: 2 });

    const answers = await Promise.allSettled([
      receipts.mark('c', 'a_b', 1),
      receipts.mark('b', 'a_c', 1),
      receipts.mark('b', 'a_b', 3),
      receipts.mark('b', 'a_b', 2),
    ]);

    expect(
      answers.map((answer) =>
        answer.status === 'fulfilled' ? answer.value : (answer.reason as { code: string }).code,
      ),
    ).toEqual(['NOT_A_MEMBER', 'NOT_A_MEMBER', 'VALIDATION_FAILED', 'announced']);
  });

  it('when the write fails, then every mark of it is refused UNAVAILABLE and the next mark is written anew', async () => {
    const failing = harness({ failWrite: true });

    await expect(failing.receipts.mark('b', 'a_b', 1)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await expect(failing.receipts.mark('b', 'a_b', 1)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect(failing.writes).toHaveLength(2);
  });

  it('when an announcement cannot be published, then its row is released to the relay, and close waits for that', async () => {
    const { receipts, settled } = harness({ failPublish: true });

    expect(await receipts.mark('b', 'a_b', 1)).toBe('announced');
    await receipts.close();

    expect(settled).toEqual([{ published: [], unpublished: ['1'] }]);
  });

  it('when published, then the rows are settled as published', async () => {
    const { receipts, settled } = harness({});

    await receipts.mark('b', 'a_b', 1);
    await receipts.close();

    expect(settled).toEqual([{ published: ['1'], unpublished: [] }]);
  });

  it('when more marks wait than allowed, then the next is refused OVERLOADED at once and the waiting ones still get written', async () => {
    const { receipts, writes, hold, release } = harness({ maxWaiting: 2 });
    hold();
    const first = receipts.mark('b', 'a_b', 1);
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = [receipts.mark('b', 'a_b', 2), receipts.mark('b', 'a_b', 3)];

    await expect(receipts.mark('b', 'a_b', 4)).rejects.toMatchObject({ code: 'OVERLOADED' });
    release();

    expect(await first).toBe('announced');
    expect(await Promise.all(waiting)).toEqual(['unchanged', 'announced']);
    expect(writes.map((marks) => marks.map((mark) => mark.upToSeq))).toEqual([[1], [2, 3]]);
  });

  it('when closed, then further marks are refused UNAVAILABLE', async () => {
    const { receipts } = harness({});
    await receipts.close();

    await expect(receipts.mark('b', 'a_b', 1)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
