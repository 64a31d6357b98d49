import {
  canonicalConversationId,
  checkSendRules,
  conversationPartition,
  conversationPartner,
  conversationParticipants,
} from '@chat/contracts';

describe('conversation ids', () => {
  it('when two users are paired in either order, then the id is the same, smaller id first', () => {
    expect(canonicalConversationId('user-2', 'user-1')).toBe('user-1_user-2');
    expect(canonicalConversationId('user-1', 'user-2')).toBe('user-1_user-2');
  });

  it('when an id is split, then only canonical pairs give participants', () => {
    expect(conversationParticipants('a_b')).toEqual(['a', 'b']);
    expect(conversationParticipants('b_a')).toBeUndefined();
    expect(conversationParticipants('a_a')).toBeUndefined();
    expect(conversationParticipants('a_b_c')).toBeUndefined();
    expect(conversationParticipants("a_b' or 1=1")).toBeUndefined();
  });

  it('when asking for the partner, then only members have one', () => {
    expect(conversationPartner('a_b', 'a')).toBe('b');
    expect(conversationPartner('a_b', 'b')).toBe('a');
    expect(conversationPartner('a_b', 'c')).toBeUndefined();
  });

  it('when partitioning, then a conversation always maps to the same partition within range', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `user-${i}_user-${i + 1000}`);
    const partitions = ids.map((id) => conversationPartition(id, 8));
    expect(partitions.filter((p) => p < 0 || p >= 8)).toEqual([]);
    expect(ids.map((id) => conversationPartition(id, 8))).toEqual(partitions);
    expect(new Set(partitions).size).toBe(8);
  });
});

describe('send rules', () => {
  const attempt = { conversationId: 'a_b', senderId: 'a', receiverId: 'b', message: '  hi  ' };

  it('when the attempt is valid, then the trimmed body is returned', () => {
    expect(checkSendRules(attempt, 10)).toBe('hi');
  });

  it.each([
    ['the conversation is not the pair', { conversationId: 'a_c' }, 'INVALID_CONVERSATION'],
    ['the receiver is the sender', { receiverId: 'a', conversationId: 'a_a' }, 'VALIDATION_FAILED'],
    ['the message is blank', { message: ' \n\t ' }, 'VALIDATION_FAILED'],
    ['the message holds a NUL character', { message: 'a\u0000b' }, 'VALIDATION_FAILED'],
    ['the message is too long', { message: 'x'.repeat(11) }, 'PAYLOAD_TOO_LARGE'],
  ])('when %s, then it is refused with its code', (_label, change, code) => {
    expect(() => checkSendRules({ ...attempt, ...change }, 10)).toThrow(
      expect.objectContaining({ code }),
    );
  });
});
