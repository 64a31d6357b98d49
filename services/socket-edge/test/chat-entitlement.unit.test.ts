import { pairKey, type PairStatus } from '@chat/db';
import { createChatEntitlement } from '../src/domain/chat-entitlement';

describe('chat entitlement', () => {
  /** A booking projection in memory: which pairs are entitled, and every question asked of it. */
  const projection = (entitled: [string, string][]) => {
    const allowed = new Set(entitled.map(([a, b]) => pairKey(a, b)));
    const questions: string[][] = [];
    let failing = false;
    return {
      questions,
      allowed,
      fail: (value: boolean) => (failing = value),
      bookings: {
        pairStatuses: async (pairs: Iterable<readonly [string, string]>) => {
          if (failing) throw new Error('database away');
          const keys = [...pairs].map(([a, b]) => pairKey(a, b));
          questions.push(keys);
          return new Map<string, PairStatus>(
            keys.map((key) => [key, { entitled: allowed.has(key), known: allowed.has(key) }]),
          );
        },
      },
    };
  };
  const policy = { allowedStatuses: ['confirmed'] };

  it('when several pairs are asked about in one turn, then one lookup answers them all', async () => {
    const store = projection([['a', 'b']]);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy });

    expect(
      await Promise.all([
        entitlement.allows('a', 'b'),
        entitlement.allows('b', 'a'),
        entitlement.allows('a', 'c'),
      ]),
    ).toEqual([true, true, false]);
    expect(store.questions).toHaveLength(1);
  });

  it('when a yes is asked again within the remembered time, then the projection is not asked; after it, it is', async () => {
    let now = 0;
    const store = projection([['a', 'b']]);
    const entitlement = createChatEntitlement({
      bookings: store.bookings,
      policy,
      rememberMs: 1000,
      now: () => now,
    });

    await entitlement.allows('a', 'b');
    now = 999;
    await entitlement.allows('a', 'b');
    expect(store.questions).toHaveLength(1);
    now = 1000;
    store.allowed.clear();
    expect(await entitlement.allows('a', 'b')).toBe(false);
    expect(store.questions).toHaveLength(2);
  });

  it('when a no is asked again, then the projection is asked again (a booking may have just come)', async () => {
    const store = projection([]);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy });

    expect(await entitlement.allows('a', 'b')).toBe(false);
    store.allowed.add(pairKey('a', 'b'));
    expect(await entitlement.allows('a', 'b')).toBe(true);
  });

  it('when the conversation is closed, then its remembered yes is forgotten at once', async () => {
    const store = projection([['a', 'b']]);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy });
    await entitlement.allows('a', 'b');
    store.allowed.clear();

    entitlement.forget('a_b');

    expect(await entitlement.allows('a', 'b')).toBe(false);
  });

  it('when the conversation is closed while a lookup runs, then its yes is believed once but not remembered', async () => {
    const store = projection([['a', 'b']]);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy });

    const asking = entitlement.allows('a', 'b');
    entitlement.forget('a_b');
    expect(await asking).toBe(true);
    store.allowed.clear();

    expect(await entitlement.allows('a', 'b')).toBe(false);
  });

  it('when the projection cannot be read, then it rejects with UNAVAILABLE', async () => {
    const store = projection([['a', 'b']]);
    store.fail(true);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy });

    await expect(entitlement.allows('a', 'b')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('when more pairs are remembered than allowed, then the oldest are forgotten first', async () => {
    const store = projection([
      ['a', 'b'],
      ['a', 'c'],
    ]);
    const entitlement = createChatEntitlement({ bookings: store.bookings, policy, maxPairs: 1 });
    await entitlement.allows('a', 'b');
    await entitlement.allows('a', 'c');
    store.questions.length = 0;

    await entitlement.allows('a', 'c');
    await entitlement.allows('a', 'b');

    expect(store.questions).toEqual([[pairKey('a', 'b')]]);
  });
});
