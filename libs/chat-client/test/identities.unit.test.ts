import { canonicalConversationId } from '@chat/contracts';
import { mintToken } from '@chat/testing';
import { conversationIdOf, partnerIn } from '../src/conversation-id';
import { randomId } from '../src/random-id';
import { userIdOfToken } from '../src/token-claims';

describe('conversation ids', () => {
  it('when two users are given in either order, then the id is libs/contracts’ canonical one', () => {
    const pairs = [
      ['student-1', 'tutor-1'],
      ['B', 'a'],
      ['user-10', 'user-9'],
      ['x', 'x-1'],
    ] as const;
    for (const [a, b] of pairs) {
      expect(conversationIdOf(a, b)).toBe(canonicalConversationId(a, b));
      expect(conversationIdOf(b, a)).toBe(canonicalConversationId(a, b));
    }
  });

  it('when asked for the partner, then it is the other member, or undefined for a stranger or a malformed id', () => {
    expect(partnerIn('student-1_tutor-1', 'student-1')).toBe('tutor-1');
    expect(partnerIn('student-1_tutor-1', 'tutor-1')).toBe('student-1');
    expect(partnerIn('student-1_tutor-1', 'someone')).toBeUndefined();
    expect(partnerIn('a_b_c', 'a')).toBeUndefined();
  });
});

describe('randomId', () => {
  it('when randomUUID is missing (a browser page on plain http), then getRandomValues makes a v4 UUID', () => {
    const original = globalThis.crypto.randomUUID;
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: undefined,
        configurable: true,
      });
      const ids = new Set(Array.from({ length: 100 }, () => randomId()));
      expect(ids.size).toBe(100);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: original,
        configurable: true,
      });
    }
  });
});

describe('userIdOfToken', () => {
  it('when the token is a JWT, then its userId is read, else its sub', () => {
    expect(userIdOfToken(mintToken('tütor-ü'))).toBe('tütor-ü');
    expect(
      userIdOfToken(mintToken('ignored', { claims: { userId: undefined, sub: 'from-sub' } })),
    ).toBe('from-sub');
  });

  it('when the token is not a readable JWT, then there is no user id', () => {
    expect(userIdOfToken('opaque')).toBeUndefined();
    expect(userIdOfToken('a.!!!.c')).toBeUndefined();
    expect(
      userIdOfToken(`a.${Buffer.from('{"userId":5}').toString('base64url')}.c`),
    ).toBeUndefined();
  });
});
