import { canonicalConversationId } from '@chat/contracts';
import { pairKey, type PairStatus } from '@chat/db';
import { createConversationAccess } from '../src/domain/conversation-access';

/** Stores that know `booked` pairs and `members` ("<conversationId> <userId>"), counting calls. */
function arrange(booked: [string, string][], members: string[] = []) {
  const calls = { pairStatuses: [] as number[], isMember: 0 };
  const known = new Set(booked.map(([a, b]) => pairKey(a, b)));
  const access = createConversationAccess({
    bookings: {
      pairStatuses: (pairs) => {
        const asked = [...pairs];
        calls.pairStatuses.push(asked.length);
        return Promise.resolve(
          new Map<string, PairStatus>(
            asked.map(([a, b]) => [
              pairKey(a, b),
              { known: known.has(pairKey(a, b)), entitled: false },
            ]),
          ),
        );
      },
    },
    conversations: {
      isMember: (conversationId, userId) => {
        calls.isMember++;
        return Promise.resolve(members.includes(`${conversationId} ${userId}`));
      },
    },
  });
  return { access, calls };
}

describe('conversation access', () => {
  it('when joins arrive in one turn, then one booking query answers them all and membership is asked only for pairs without a booking', async () => {
    const member = canonicalConversationId('u1', 'old');
    const { access, calls } = arrange(
      [
        ['u1', 'p1'],
        ['u2', 'p2'],
      ],
      [`${member} u1`],
    );

    const answers = await Promise.all([
      access('u1', canonicalConversationId('u1', 'p1')),
      access('u2', canonicalConversationId('u2', 'p2')),
      access('u1', member),
      access('u1', canonicalConversationId('u1', 'stranger')),
      access('u3', canonicalConversationId('u1', 'p1')),
    ]);

    expect(answers).toEqual([true, true, true, false, false]);
    expect(calls.pairStatuses).toEqual([4]);
    expect(calls.isMember).toBe(2);
  });

  it('when the store fails, then the answer is UNAVAILABLE, not a refusal', async () => {
    const access = createConversationAccess({
      bookings: { pairStatuses: () => Promise.reject(new Error('db down')) },
      conversations: { isMember: () => Promise.resolve(false) },
    });

    await expect(access('u1', canonicalConversationId('u1', 'p1'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
